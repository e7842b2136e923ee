using ChannelService.Accounts;
using ChannelService.Sources.CalDav;
using ChannelService.Sources.Feeds;
using ChannelService.Sources.Http;

namespace ChannelService.Sources;

/// <summary>
/// Builds the <see cref="ISource"/> of a decrypted account. Every request goes through the SSRF-guarded
/// <see cref="SourceHttpClient"/>: feeds use it directly, CalDAV through an <see cref="HttpClient"/> over the same
/// guarded handler (<see cref="SourceHttpClient.CreateProtocolClient"/>).
/// </summary>
/// <summary>Builds the source for a decrypted account (an interface so tests can put a source of their own in).</summary>
internal interface ISourceFactory
{
    ISource Create(AccountMetadata account);
}

internal sealed class SourceFactory(SourceHttpClient http, SourceItemStore store, ICalDavEtagStore etagStore, TimeProvider? timeProvider = null) : ISourceFactory
{
    /// <summary>
    /// The source for <paramref name="account"/>. Webhook inboxes are no pulled source and are refused here.
    /// </summary>
    /// <exception cref="SourceException">The URL is malformed (<see cref="SourceErrorKind.BadUrl"/>).</exception>
    public ISource Create(AccountMetadata account)
    {
        ArgumentNullException.ThrowIfNull(account);
        switch (account.Kind)
        {
            case SourceKind.Ics:
                // A user name means Basic; a secret alone is a bearer token (private feed URLs of some services).
                var credentials = account.Username is { Length: > 0 } user ? SourceCredentials.Basic(user, account.Secret ?? string.Empty)
                    : account.Secret is { Length: > 0 } token ? SourceCredentials.Bearer(token)
                    : null;
                return new IcsFeedSource(new IcsFeedSettings(account.AccountId, account.Url, credentials), http, store);
            case SourceKind.CalDavTasks or SourceKind.CalDavCalendar:
                return CreateCalDav(account);
            default:
                throw new ArgumentException($"Accounts of kind {account.Kind.ToWire()} have no pulled source.", nameof(account));
        }
    }

    private CalDavSource CreateCalDav(AccountMetadata account)
    {
        var url = SourceUrl.Parse(account.Url, out var userInfo);
        if (url.Scheme is not ("http" or "https"))
        {
            throw new SourceException(SourceErrorKind.BadUrl, "A CalDAV collection URL must start with http:// or https://.");
        }

        CalDavCredentials? credentials = account.Username is { Length: > 0 } user
            ? new CalDavCredentials(user, account.Secret ?? string.Empty)
            : null;
        if (credentials is null && userInfo is not null)
        {
            throw new SourceException(SourceErrorKind.BadUrl, "Give the CalDAV user name and password as account fields, not inside the URL.");
        }

        var client = new CalDavClient(
            http.CreateProtocolClient(),
            credentials,
            etagStore,
            new CalDavClientOptions { MaxResponseBytes = http.Options.MaxSourceResponseBytes, MaxRedirects = http.Options.MaxSourceRedirects });
        var settings = new CalDavSourceSettings(account.AccountId, account.Kind, url)
        {
            ReplyTarget = account.Options.ReplyTarget,
            EventReplies = account.Options.EventReplies,
        };
        return new CalDavSource(settings, client, store, timeProvider);
    }
}
