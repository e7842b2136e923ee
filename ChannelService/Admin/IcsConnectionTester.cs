using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Pull;
using ChannelService.Sources;
using SourceKind = ChannelService.Accounts.SourceKind;
using ChannelService.Sources.Feeds;
using ChannelService.Sources.Http;
using NodaTime;

namespace ChannelService.Admin;

/// <summary>
/// Tests an iCalendar feed the way a pull reads it (SSRF-guarded GET, the same sniffing and parser), then applies
/// the chosen options to show which items would become tickets first. Nothing is stored.
/// </summary>
internal sealed class IcsConnectionTester(SourceHttpClient http, TimeProvider time) : IConnectionTester
{
    public bool Handles(SourceKind kind) => kind == SourceKind.Ics;

    public async Task<ConnectionTestResult> TestAsync(ConnectionTarget target, CancellationToken cancellationToken)
    {
        try
        {
            var url = SourceUrl.Parse(target.Url, out _);
            var response = await http.GetAsync(url, ConnectionTester.Credentials(target.Username, target.Secret), cancellationToken: cancellationToken);
            var listing = IcsFeedSource.List(response, url);
            return Preview.Of(listing.Items.Select(i => i.ToPlanningItem()), target.Options, time.GetUtcNow()) with { Warnings = listing.Warnings };
        }
        catch (SourceException e)
        {
            return ConnectionTestResult.Failed(e);
        }
        catch (ArgumentException)
        {
            // Credentials with a colon in the user name or control characters: the validator normally stops these.
            return new ConnectionTestResult { ErrorKind = SourceErrorKind.BadUrl, Error = "The user name or password contains characters that cannot be sent." };
        }
    }
}

/// <summary>
/// What a first sync of the listed items would create, counted by the pull's own planner
/// (<see cref="TicketPlanner.FirstSyncTickets"/>): a weekly series is one ticket per occurrence in the window, so
/// the number shown is the number of tickets the first pull sends. The first few are listed soonest first, with
/// the subjects their tickets get.
/// </summary>
internal static class Preview
{
    public static ConnectionTestResult Of(IEnumerable<SourceItem> items, AccountOptions options, DateTimeOffset now)
    {
        var all = items.ToList();
        var tickets = TicketPlanner.FirstSyncTickets(all, options, Instant.FromDateTimeOffset(now), diagnostics: []);
        return new ConnectionTestResult
        {
            Events = all.Count(i => i.Kind == CalendarItemKind.Event),
            Tasks = all.Count(i => i.Kind == CalendarItemKind.Task),
            OpenTasks = all.Count(i => i.Kind == CalendarItemKind.Task && i.Parsed?.Item.IsClosedTask != true),
            WouldImport = tickets.Count,
            FirstTitles = tickets
                .OrderBy(u => (u.Snapshot.Due ?? u.Snapshot.Start)?.Instant ?? Instant.MaxValue)
                .Take(ConnectionTester.PreviewCount)
                .Select(u => ResourceBuilder.SubjectOf(u, options))
                .ToList(),
        };
    }
}

/// <summary>The webhook inbox reads nothing: messages are posted to it. Its URL is where replies go.</summary>
internal sealed class InboxConnectionTester : IConnectionTester
{
    public bool Handles(SourceKind kind) => kind == SourceKind.Inbox;

    public Task<ConnectionTestResult> TestAsync(ConnectionTarget target, CancellationToken cancellationToken) =>
        Task.FromResult(new ConnectionTestResult { Note = "A webhook inbox has nothing to read now: messages posted to its inbox address become tickets, and replies are posted to the callback URL." });
}
