using ChannelService.Accounts;
using ChannelService.Web;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Pull;

/// <summary>
/// <c>POST /pull</c> (channel-framework.md §3): form fields <c>metadata</c> and <c>state</c>, also read from the
/// query string. Metadata is decrypted before anything else; no source is contacted for an undecryptable one.
/// </summary>
[ApiController]
internal sealed class PullController(PullService pulls, InboxPull inboxPulls, PullStateCodec states) : ControllerBase
{
    [HttpPost("/pull")]
    [IgnoreAntiforgeryToken]
    public async Task<IActionResult> Pull(CancellationToken cancellationToken)
    {
        var decoded = HttpContext.GetDecodedMetadata();
        if (decoded?.Account is not { } account)
        {
            // 401 for missing or undecryptable metadata: it is our only proof the caller is the Zendesk account we set up.
            return StatusCode(StatusCodes.Status401Unauthorized, new ErrorResponse(decoded is null
                ? "metadata is missing."
                : MetadataRejectedException.Describe(decoded.Rejection!.Value)));
        }

        PullState? state;
        var stateText = await ReadFieldAsync("state");
        try
        {
            state = states.Decode(stateText, account.AccountId);
        }
        catch (PullStateRejectedException ex)
        {
            return BadRequest(new ErrorResponse(ex.Message));
        }

        if (account.Kind == SourceKind.Inbox)
        {
            return Content((await inboxPulls.PullAsync(account, state, cancellationToken)).ToJsonString(), "application/json; charset=utf-8");
        }

        var outcome = await pulls.PullAsync(account, state, cancellationToken, stateText);
        return outcome switch
        {
            PullOutcome.Ok ok => Ok(ok.Response),

            // The documented way to ask an admin to re-enter credentials; omitting state keeps Zendesk's copy.
            PullOutcome.CredentialsRejected => Ok(new PullResponse([], null, MetadataNeedsUpdate: true)),
            PullOutcome.SourceFailed failed => StatusCode(failed.StatusCode, new ErrorResponse(failed.Message)),
            _ => StatusCode(StatusCodes.Status503ServiceUnavailable, new ErrorResponse("Another pull for this account is still running; try again.")),
        };
    }

    private async Task<string?> ReadFieldAsync(string name)
    {
        if (Request.HasFormContentType)
        {
            var form = await Request.ReadFormAsync(HttpContext.RequestAborted);
            if (form.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value))
            {
                return value;
            }
        }

        return Request.Query.TryGetValue(name, out var query) ? (string?)query : null;
    }
}
