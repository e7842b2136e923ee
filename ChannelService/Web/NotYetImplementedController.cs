using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Web;

/// <summary>
/// Endpoints named in the manifest whose features are still being built answer 501 with a JSON error, so
/// Zendesk and operators get a clear answer rather than a 404 or an HTML page. Each route moves to its own
/// feature folder when its issue lands.
/// </summary>
[ApiController]
public sealed class NotYetImplementedController : ControllerBase
{
    [HttpPost("/admin")]
    public IActionResult NotImplemented() =>
        StatusCode(StatusCodes.Status501NotImplemented, new ErrorResponse($"{Request.Path} is not implemented in this version of ChannelService."));
}
