using ChannelService.Web;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Channelback;

/// <summary>The answer Zendesk expects (schema channelback_payload_v2.json).</summary>
internal sealed record ChannelbackResponse(string ExternalId, bool AllowChannelback);

/// <summary>
/// <c>POST /channelback</c> (channel-framework.md §4): an agent's reply, form-encoded. The metadata scheme answers
/// for the account before anything else (nothing is contacted for an undecryptable one); the form's validator
/// answers for its fields.
/// </summary>
[ApiController]
internal sealed class ChannelbackController(ChannelbackService channelbacks) : ControllerBase
{
    [HttpPost("/channelback")]
    [IgnoreAntiforgeryToken]
    [RequireAccount]
    public async Task<IActionResult> Reply([FromServices] CurrentAccount caller, [FromForm] ChannelbackForm form, CancellationToken cancellationToken)
    {
        var outcome = await channelbacks.ReplyAsync(caller.Account, form.ToRequest(), cancellationToken);
        return outcome switch
        {
            ChannelbackOutcome.Accepted ok => Ok(new ChannelbackResponse(ok.ExternalId, ok.AllowChannelback)),
            ChannelbackOutcome.Failed failed => StatusCode(failed.StatusCode, new ErrorResponse(failed.Message, failed.Detail)),
            _ => throw new InvalidOperationException("Unknown channelback outcome."),
        };
    }
}
