using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Clickthrough;

/// <summary>
/// <c>GET /clickthrough?external_id=</c> (spec §5): the agent's browser follows it from a comment. A 302 to the
/// URL recorded for the item, our own read-only page when the source has none, a friendly 404 otherwise.
/// </summary>
internal sealed class ClickthroughController(ClickthroughService clickthrough) : Controller
{
    [HttpGet("/clickthrough")]
    public async Task<IActionResult> Index([FromQuery(Name = "external_id")] string? externalId, CancellationToken cancellationToken)
    {
        var target = await clickthrough.ResolveAsync(externalId, cancellationToken);
        switch (target)
        {
            case ClickthroughTarget.Redirect redirect:
                return Redirect(redirect.Url.AbsoluteUri);
            case ClickthroughTarget.Page page:
                return View("Index", page.Content);
            default:
                Response.StatusCode = StatusCodes.Status404NotFound;
                return View("NotFound");
        }
    }
}
