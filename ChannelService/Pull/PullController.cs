using System.Diagnostics;
using ChannelService.Accounts;
using ChannelService.Metrics;
using ChannelService.Web;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Pull;

/// <summary>
/// <c>POST /pull</c> (channel-framework.md §3): form fields <c>metadata</c> and <c>state</c>, also read from the
/// query string. The metadata scheme answers for the account first; no source is contacted for an undecryptable one.
/// </summary>
[ApiController]
internal sealed class PullController(PullService pulls, InboxPull inboxPulls, PullStateCodec states, ServiceMetrics metrics) : ControllerBase
{
    [HttpPost("/pull")]
    [IgnoreAntiforgeryToken]
    [RequireAccount(AllowQueryString = true)]
    public async Task<IActionResult> Pull(
        [FromServices] CurrentAccount caller,
        [FromForm(Name = "state")] string? postedState,
        [FromQuery(Name = "state")] string? queryState,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var account = caller.Account;
        var stateText = postedState ?? queryState;
        PullState? state;
        try
        {
            state = states.Decode(stateText, account.AccountId);
        }
        catch (PullStateRejectedException ex)
        {
            metrics.Pull(account.Kind, PullResults.BadState, Stopwatch.GetElapsedTime(started));
            return BadRequest(new ErrorResponse(ex.Message));
        }

        if (account.Kind == SourceKind.Inbox)
        {
            var answer = await inboxPulls.PullAsync(account, state, cancellationToken);
            metrics.ItemsSent("pull", (answer["external_resources"] as System.Text.Json.Nodes.JsonArray)?.Count ?? 0);
            metrics.Pull(account.Kind, PullResults.Ok, Stopwatch.GetElapsedTime(started));
            return Content(answer.ToJsonString(), "application/json; charset=utf-8");
        }

        // The rest of a large first read is stored once this response has gone out (PullService.PullAsync).
        var answerSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Response.OnCompleted(() =>
        {
            answerSent.TrySetResult();
            return Task.CompletedTask;
        });
        var outcome = await pulls.PullAsync(account, state, cancellationToken, stateText, quickTried: HttpContext.Items.ContainsKey(QuickPullMiddleware.QuickPathTried), answerSent: answerSent.Task);
        if (outcome is PullOutcome.Ok sent)
        {
            metrics.ItemsSent("pull", sent.Response.ExternalResources.Count);
        }

        metrics.Pull(account.Kind, Result(outcome), Stopwatch.GetElapsedTime(started));
        return outcome switch
        {
            PullOutcome.Ok ok => new PullResponseJson.Result(ok.Response),

            // The documented way to ask an admin to re-enter credentials; omitting state keeps Zendesk's copy.
            PullOutcome.CredentialsRejected => Ok(new PullResponse([], null, MetadataNeedsUpdate: true)),
            PullOutcome.SourceFailed failed => StatusCode(failed.StatusCode, new ErrorResponse(failed.Message)),
            _ => StatusCode(StatusCodes.Status503ServiceUnavailable, new ErrorResponse("Another pull for this account is still running; try again.")),
        };
    }

    private static string Result(PullOutcome outcome) => outcome switch
    {
        PullOutcome.Ok => PullResults.Ok,
        PullOutcome.CredentialsRejected => PullResults.CredentialsRejected,
        PullOutcome.SourceFailed => PullResults.SourceFailed,
        _ => PullResults.Busy,
    };
}
