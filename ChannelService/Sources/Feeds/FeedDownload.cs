using ChannelService.Configuration;
using ChannelService.Sources.Http;

namespace ChannelService.Sources.Feeds;

/// <summary>One-off download of a feed for command-line tools, through the same SSRF guard and limits as the service.</summary>
internal static class FeedDownload
{
    /// <summary>Whether a command-line argument names a URL rather than a file.</summary>
    public static bool IsUrl(string argument) =>
        argument.Contains("://", StringComparison.Ordinal) || argument.StartsWith("webcal:", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// GETs the URL with the <c>Channel</c> settings of <paramref name="configuration"/> (AllowPrivateNetworkSources,
    /// AllowedSourceNetworks, limits) and checks the body looks like a calendar. Throws <see cref="SourceException"/>.
    /// </summary>
    public static async Task<SourceResponse> FetchAsync(IConfiguration configuration, string url, CancellationToken cancellationToken = default)
    {
        var options = SettingBinding.Get<SourceHttpOptions>(configuration.GetSection(SourceHttpOptions.SectionName));
        using var client = SourceHttpClient.Create(options);
        var response = await client.GetAsync(SourceUrl.Parse(url, out var credentials), credentials, cancellationToken: cancellationToken);
        FeedSniffer.EnsureLooksLikeCalendar(response.Body);
        return response;
    }
}
