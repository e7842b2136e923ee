using ChannelService.Configuration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ChannelService.Installer;

/// <summary>
/// <c>GET /installer-app.zip</c>: the channel installer app already pointed at this service, ready for
/// Admin Center's "Upload private app". Same bytes as <c>installer-app --out</c> for the same base URL.
/// </summary>
[ApiController]
internal sealed class InstallerAppController(IOptions<ChannelOptions> options, IWebHostEnvironment environment) : ControllerBase
{
    [HttpGet("/installer-app.zip")]
    public IActionResult Get()
    {
        // Without PublicBaseUrl (Development only; refused at start otherwise) the request's own origin is used.
        var baseUrl = options.Value.BaseUri?.ToString() ?? $"{Request.Scheme}://{Request.Host}{Request.PathBase}";
        var package = InstallerAppPackage.Build(Path.Combine(environment.ContentRootPath, InstallerAppPackage.FolderName), baseUrl);
        return File(package, "application/zip", "installer-app.zip");
    }
}
