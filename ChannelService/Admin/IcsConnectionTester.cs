using ChannelService.Accounts;
using ChannelService.Calendars;
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
            FeedSniffer.EnsureLooksLikeCalendar(response.Body);
            var parse = IcalReader.Parse(response.Body, new IcalReaderOptions { Charset = response.Charset });
            if (!parse.Roots.Any(r => r.Name == "VCALENDAR" || CalendarItemReader.KindOf(r.Name) is not null))
            {
                throw new SourceException(SourceErrorKind.NotACalendar, "This URL did not return iCalendar data (no BEGIN:VCALENDAR).");
            }

            var listing = SourceListingBuilder.Build(parse, url.AbsoluteUri);
            return Preview.Of(listing.Items.Select(i => i.Item), target.Options, time.GetUtcNow()) with { Warnings = listing.Warnings };
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

/// <summary>Which items the options let through, and which of them would be imported first (soonest first).</summary>
internal static class Preview
{
    public static ConnectionTestResult Of(IEnumerable<CalendarItem> items, AccountOptions options, DateTimeOffset now)
    {
        var all = items.ToList();
        var today = LocalDate.FromDateTime(now.UtcDateTime);
        var from = today.PlusDays(-options.WindowPastDays);
        var to = today.PlusDays(options.WindowFutureDays);
        var chosen = new List<(CalendarItem Item, LocalDateTime When)>();
        foreach (var item in all)
        {
            switch (item.Kind)
            {
                case CalendarItemKind.Task:
                    if (options.Tasks == TaskScope.All || !item.IsClosedTask)
                    {
                        chosen.Add((item, (item.Due ?? item.Start)?.Local ?? LocalDateTime.MaxIsoValue));
                    }

                    break;
                case CalendarItemKind.Event:
                    // A recurring series always has occurrences to consider; a single event must fall in the window.
                    var recurring = item.Component.GetProperty("RRULE") is not null;
                    if (item.Start is { } start && (recurring || (start.Local.Date >= from && start.Local.Date <= to)))
                    {
                        chosen.Add((item, start.Local));
                    }

                    break;
            }
        }

        return new ConnectionTestResult
        {
            Events = all.Count(i => i.Kind == CalendarItemKind.Event),
            Tasks = all.Count(i => i.Kind == CalendarItemKind.Task),
            OpenTasks = all.Count(i => i.Kind == CalendarItemKind.Task && !i.IsClosedTask),
            WouldImport = chosen.Count,
            FirstTitles = chosen
                .OrderBy(c => c.When)
                .Take(ConnectionTester.PreviewCount)
                .Select(c => string.IsNullOrWhiteSpace(c.Item.Summary) ? "(untitled)" : Shorten(c.Item.Summary.Trim()))
                .ToList(),
        };
    }

    private static string Shorten(string title) => title.Length <= 120 ? title : title[..119] + "…";
}

/// <summary>The webhook inbox reads nothing: messages are posted to it. Its URL is where replies go.</summary>
internal sealed class InboxConnectionTester : IConnectionTester
{
    public bool Handles(SourceKind kind) => kind == SourceKind.Inbox;

    public Task<ConnectionTestResult> TestAsync(ConnectionTarget target, CancellationToken cancellationToken) =>
        Task.FromResult(new ConnectionTestResult { Note = "A webhook inbox has nothing to read now: messages posted to its inbox address become tickets, and replies are posted to the callback URL." });
}
