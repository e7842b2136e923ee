using System.Text;
using ChannelService.Calendars;
using ChannelService.Tickets;
using NodaTime;
using Shouldly;

namespace ChannelService.Tests.Tickets;

public sealed class MessageRendererTests
{
    private static readonly DateTimeZone Berlin = DateTimeZoneProviders.Tzdb["Europe/Berlin"];

    private static (CalendarItem Item, TimeZoneResolver Resolver, List<CalendarComponent> Roots) Read(string ics)
    {
        var result = IcalReader.Parse(Encoding.UTF8.GetBytes(ics));
        return (CalendarItemReader.ReadAll(result.Roots)[0], TimeZoneResolver.ForCalendars(result.Roots), result.Roots.ToList());
    }

    private static string Show((string Text, string Html) message) => message.Text + "\n\n----- html -----\n" + message.Html + "\n";

    [Test]
    public void Task_Opening_Message()
    {
        var (item, resolver, _) = Read("""
            BEGIN:VTODO
            UID:t1
            SUMMARY:Renew the certificate
            DESCRIPTION:It expires on Friday.\n\nAsk <ops> & security first.
            DUE;TZID=Europe/Berlin:20261125T170000
            STATUS:NEEDS-ACTION
            PRIORITY:1
            PERCENT-COMPLETE:20
            CATEGORIES:Ops,TLS
            ORGANIZER;CN=Jane Doe:mailto:jane@example.com
            URL:https://tasks.example.com/t1
            END:VTODO
            """);

        Show(MessageRenderer.Opening(ItemSnapshot.From(item, resolver), Berlin)).ShouldMatchApproved(o => o.WithDiscriminator("task"));
    }

    [Test]
    public void Event_Opening_Message_Sanitizes_Html_Descriptions()
    {
        var (item, resolver, _) = Read("""
            BEGIN:VEVENT
            UID:e1
            SUMMARY:Quarterly review
            DTSTART;TZID=Europe/Berlin:20261126T140000
            DTEND;TZID=Europe/Berlin:20261126T153000
            LOCATION:Room 4\, 2nd floor
            ORGANIZER;CN="Doe, Jane":mailto:jane@example.com
            ATTENDEE;CN=Alice;PARTSTAT=ACCEPTED:mailto:alice@example.com
            ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.com
            DESCRIPTION:Agenda attached.
            X-ALT-DESC;FMTTYPE=text/html:<p onclick="x()">Agenda <b>attached</b><script>alert(1)</script></p><a href="javascript:alert(1)">bad</a> <a href="https://example.com/a">good</a><style>p{}</style>
            END:VEVENT
            """);

        var message = MessageRenderer.Opening(ItemSnapshot.From(item, resolver), Berlin);

        Assert.That(message.Html, Does.Not.Contain("script").And.Not.Contain("onclick").And.Not.Contain("javascript").And.Not.Contain("p{}"));
        Show(message).ShouldMatchApproved(o => o.WithDiscriminator("event"));
    }

    [Test]
    public void Recurring_Occurrence_Opening_Message_Shows_The_Occurrence_Time()
    {
        var (item, resolver, roots) = Read("""
            BEGIN:VCALENDAR
            BEGIN:VEVENT
            UID:weekly
            SUMMARY:Team sync
            DTSTART;TZID=Europe/Berlin:20261102T100000
            DURATION:PT30M
            RRULE:FREQ=WEEKLY;COUNT=10
            END:VEVENT
            END:VCALENDAR
            """);
        var occurrences = RecurrenceExpander.Expand(roots, resolver, Instant.FromUtc(2026, 11, 20, 0, 0), Instant.FromUtc(2026, 11, 27, 0, 0)).Occurrences;

        var snapshot = ItemSnapshot.From(item, resolver, occurrences.Single());

        Assert.That(snapshot.Start!.Instant, Is.EqualTo(Instant.FromUtc(2026, 11, 23, 9, 0)));
        Show(MessageRenderer.Opening(snapshot, Berlin, TicketText.Subject(snapshot.Summary, snapshot.Start, Berlin))).ShouldMatchApproved(o => o.WithDiscriminator("occurrence"));
    }

    [Test]
    public void Change_Notice_Lists_Sentences()
    {
        var one = MessageRenderer.Change(["Event cancelled"]);
        var two = MessageRenderer.Change(["Status: completed", "Percent complete: 0% → 100%"]);

        Assert.That(one, Is.EqualTo(("Event cancelled", "<p>Event cancelled</p>")));
        Assert.That(two.Text, Is.EqualTo("Status: completed\nPercent complete: 0% → 100%"));
        Assert.That(two.Html, Is.EqualTo("<ul><li>Status: completed</li><li>Percent complete: 0% → 100%</li></ul>"));
    }

    [Test]
    public void Messages_Never_Exceed_Zendesks_Limit()
    {
        var huge = new ItemSnapshot { Kind = CalendarItemKind.Task, Summary = "x", Description = new string('a', 100_000) };

        var (text, html) = MessageRenderer.Opening(huge, Berlin);

        Assert.That(text.Length, Is.LessThanOrEqualTo(MessageRenderer.MaxLength));
        Assert.That(html.Length, Is.LessThanOrEqualTo(MessageRenderer.MaxLength));
    }
}
