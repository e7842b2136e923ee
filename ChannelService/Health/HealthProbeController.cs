using ChannelService.Accounts;
using ChannelService.Sources;
using ChannelService.Sources.Http;
using ChannelService.Web;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Health;

/// <summary>What <c>POST /health</c> found for one account's source.</summary>
internal sealed record SourceHealthResponse(
    string Status,
    string Source,
    bool Reachable,
    bool Authenticated,
    bool IsCalendar,
    int Events,
    int Tasks,
    int OpenTasks,
    string Message,
    string? Error = null,
    IReadOnlyList<string>? Warnings = null);

/// <summary>
/// <c>POST /health</c> with a <c>metadata</c> form field: probes that account's source (read-only) and says what
/// works. A form field and not a query parameter, because metadata is a bearer credential and URLs end up in logs.
/// <c>GET /health</c> stays the cheap check that contacts nothing outside the service.
/// </summary>
[ApiController]
internal sealed class HealthProbeController(ISourceFactory sources) : ControllerBase
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(25);

    [HttpPost("/health")]
    [IgnoreAntiforgeryToken]
    [RequireAccount(MissingMessage = "metadata is missing: post it as a form field.")]
    public async Task<IActionResult> Probe([FromServices] CurrentAccount caller, CancellationToken cancellationToken)
    {
        var account = caller.Account;
        if (account.Kind == SourceKind.Inbox)
        {
            return Ok(new SourceHealthResponse("ok", account.Kind.ToWire(), true, true, false, 0, 0, 0, "Webhook inboxes are not polled: there is no source to probe."));
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Budget);
        SourceProbe probe;
        try
        {
            probe = await sources.Create(account).ProbeAsync(budget.Token);
        }
        catch (SourceException ex)
        {
            probe = new SourceProbe { Error = ex.Kind, Message = ex.Message };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            probe = new SourceProbe { Error = SourceErrorKind.Timeout, Message = "The source did not answer in time." };
        }

        return Ok(new SourceHealthResponse(
            probe.Ok ? "ok" : "failing",
            account.Kind.ToWire(),
            probe.Reachable,
            probe.Authenticated,
            probe.IsCalendar,
            probe.Events,
            probe.Tasks,
            probe.OpenTasks,
            probe.Message,
            probe.Error?.ToString(),
            probe.Warnings.Count > 0 ? probe.Warnings : null));
    }
}
