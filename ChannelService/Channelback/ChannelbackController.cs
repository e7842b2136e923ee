using ChannelService.Accounts;
using ChannelService.Web;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Channelback;

/// <summary>The answer Zendesk expects (schema channelback_payload_v2.json).</summary>
internal sealed record ChannelbackResponse(string ExternalId, bool AllowChannelback);

/// <summary>
/// <c>POST /channelback</c> (channel-framework.md §4): an agent's reply, form-encoded. Metadata is decrypted by
/// the request middleware before anything else; nothing is contacted for an undecryptable one.
/// </summary>
[ApiController]
internal sealed class ChannelbackController(ChannelbackService channelbacks) : ControllerBase
{
    /// <summary>Field limits from the channelback request table (spec §4).</summary>
    private const int MaxMessage = 65535;
    private const int MaxId = 511;
    private const int MaxRequestId = 255;
    private const int MaxFiles = 50;
    private const int MaxFileUrl = 2048;

    [HttpPost("/channelback")]
    [IgnoreAntiforgeryToken]
    public async Task<IActionResult> Reply(CancellationToken cancellationToken)
    {
        var decoded = HttpContext.GetDecodedMetadata();
        if (decoded?.Account is not { } account)
        {
            // 401: metadata is our only proof that the caller is the Zendesk account we set up.
            return StatusCode(StatusCodes.Status401Unauthorized, new ErrorResponse(decoded is null
                ? "metadata is missing."
                : MetadataRejectedException.Describe(decoded.Rejection!.Value)));
        }

        if (!Request.HasFormContentType)
        {
            return BadRequest(new ErrorResponse("A channelback is a form post (application/x-www-form-urlencoded)."));
        }

        var form = await Request.ReadFormAsync(cancellationToken);
        string? Field(string name) => form.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v.ToString() : null;

        var message = Field("message");
        var requestId = Field("request_unique_identifier")?.Trim();
        var threadId = Field("thread_id");
        var parentId = Field("parent_id");
        var recipientId = Field("recipient_id");

        // ASP.NET Core binds neither the bare "file_urls[]" key nor repeats of it; Zendesk sends that key (spec §4).
        var fileUrls = form["file_urls[]"].Concat(form["file_urls"]).OfType<string>().Where(u => u.Length > 0).ToList();

        var problem = message is null ? "message is missing."
            : message.Length > MaxMessage ? "message is longer than 65535 characters."
            : requestId is null ? "request_unique_identifier is missing."
            : requestId.Length > MaxRequestId ? "request_unique_identifier is longer than 255 characters."
            : requestId.Any(char.IsControl) ? "request_unique_identifier contains control characters."
            : threadId?.Length > MaxId || parentId?.Length > MaxId ? "thread_id or parent_id is longer than 511 characters."
            : threadId is null && parentId is null ? "thread_id is missing."
            : fileUrls.Count > MaxFiles ? "Too many file_urls."
            : fileUrls.Any(u => u.Length > MaxFileUrl || !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")) ? "Every file_urls[] entry must be an absolute http(s) URL."
            : null;
        if (problem is not null)
        {
            return BadRequest(new ErrorResponse(problem));
        }

        var outcome = await channelbacks.ReplyAsync(account, new ChannelbackRequest(message!, parentId, threadId, recipientId, requestId!, fileUrls), cancellationToken);
        return outcome switch
        {
            ChannelbackOutcome.Accepted ok => Ok(new ChannelbackResponse(ok.ExternalId, ok.AllowChannelback)),
            ChannelbackOutcome.Failed failed => StatusCode(failed.StatusCode, new ErrorResponse(failed.Message, failed.Detail)),
            _ => throw new InvalidOperationException("Unknown channelback outcome."),
        };
    }
}
