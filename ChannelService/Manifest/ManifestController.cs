using ChannelService.Configuration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ChannelService.Manifest;

/// <summary>
/// <c>GET /manifest.json</c>: Zendesk reads it when the installer app is installed and re-reads it when
/// <c>version</c> changes (channel-framework.md §1).
/// </summary>
[ApiController]
internal sealed class ManifestController(ManifestRenderer renderer, IOptions<ChannelOptions> options) : ControllerBase
{
    // Readable names ("Calendar & Tasks") rather than \u0026 escapes; the output is JSON, not HTML.
    private static readonly System.Text.Json.JsonSerializerOptions ManifestJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [HttpGet("/manifest.json")]
    public IActionResult Get()
    {
        // Without PublicBaseUrl (Development only; refused at start otherwise) the request's own origin is used.
        var baseUrl = options.Value.BaseUri?.ToString() ?? $"{Request.Scheme}://{Request.Host}{Request.PathBase}";
        return Content(renderer.Render(baseUrl).ToJsonString(ManifestJson), "application/json; charset=utf-8");
    }
}
