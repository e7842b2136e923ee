using ChannelService.Accounts;
using ChannelService.Sources;
using ChannelService.Sources.CalDav;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Support;

/// <summary>
/// The service's own source factory, except that CalDAV accounts go through the handler <paramref name="handler"/>
/// returns when it returns one (a recorder, a handler that races a write): register it with ConfigureTestServices.
/// </summary>
internal sealed class CalDavRoutingSourceFactory(IServiceProvider services, Func<HttpMessageHandler?> handler) : ISourceFactory
{
    private readonly SourceFactory real = Real(services);

    /// <summary>The factory the service registers, built from the test host's services.</summary>
    public static SourceFactory Real(IServiceProvider services) => new(
        services.GetRequiredService<ChannelService.Sources.Http.SourceHttpClient>(),
        services.GetRequiredService<SourceItemStore>(),
        services.GetRequiredService<ICalDavEtagStore>(),
        services.GetRequiredService<TimeProvider>());

    public ISource Create(AccountMetadata account)
    {
        if (handler() is not { } route || account.Kind is not (SourceKind.CalDavTasks or SourceKind.CalDavCalendar))
        {
            return real.Create(account);
        }

        var http = new HttpClient(route, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(60) };
        var caldav = new CalDavClient(http, new CalDavCredentials(account.Username!, account.Secret!), services.GetRequiredService<ICalDavEtagStore>());
        var settings = new CalDavSourceSettings(account.AccountId, account.Kind, new Uri(account.Url)) { ReplyTarget = account.Options.ReplyTarget, EventReplies = account.Options.EventReplies };
        return new CalDavSource(settings, caldav, services.GetRequiredService<SourceItemStore>(), services.GetRequiredService<TimeProvider>());
    }
}
