using ChannelService.Configuration;
using ChannelService.Installer;
using ChannelService.Manifest;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ChannelService.About;

/// <summary>
/// <c>GET /</c> points here. <c>GET /about</c> (the manifest's about_url, channel-framework.md §6): a public page saying what the channel
/// does, where data goes and how to install it; <c>GET /readme</c> serves the operator's README it links to.
/// </summary>
internal sealed class AboutController(IOptions<ChannelOptions> options, IWebHostEnvironment environment) : Controller
{
    [HttpGet("/about")]
    public IActionResult Index()
    {
        var baseUrl = options.Value.BaseUri?.ToString() ?? $"{Request.Scheme}://{Request.Host}{Request.PathBase}";
        return View(new AboutModel(options.Value.IntegrationName, InstallerAppPackage.ManifestUrl(baseUrl), ManifestRenderer.Version));
    }

    /// <summary>
    /// <c>GET /</c>: someone who opens the service's address in a browser gets a small page pointing to the about
    /// page (and the sandbox when it is on), not a JSON 404.
    /// </summary>
    [HttpGet("/")]
    public IActionResult Home() =>
        View("Home", new HomeModel(options.Value.IntegrationName, options.Value.SandboxEnabled(environment.IsDevelopment())));

    [HttpGet("/readme")]
    public IActionResult Readme()
    {
        // text/plain rather than text/markdown: browsers show plain text, but offer markdown as a download.
        var path = Path.Combine(environment.ContentRootPath, "README.md");
        return System.IO.File.Exists(path)
            ? PhysicalFile(path, "text/plain; charset=utf-8")
            : NotFound();
    }
}

internal sealed record HomeModel(string ChannelName, bool SandboxOn);

internal sealed record AboutModel(string ChannelName, string ManifestUrl, string Version);
