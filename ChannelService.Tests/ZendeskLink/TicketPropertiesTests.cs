using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Tickets;
using ChannelService.ZendeskLink.Tickets;
using NodaTime;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>How an item becomes a ticket's native properties (issue 17 §3–4), and what is sent when.</summary>
public sealed class TicketPropertiesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static ItemSnapshot TaskSnapshot(int? priority = null, SnapshotPerson? organizer = null, IReadOnlyList<SnapshotPerson>? attendees = null) => new()
    {
        Kind = CalendarItemKind.Task,
        Summary = "Task",
        Priority = priority,
        Organizer = organizer,
        Attendees = attendees ?? [],
        Due = new SnapshotTime(Instant.FromUtc(2026, 12, 24, 0, 0), AllDay: true),
    };

    [TestCase(null, null)]
    [TestCase(0, null)]
    [TestCase(1, "urgent")]
    [TestCase(2, "high")]
    [TestCase(4, "high")]
    [TestCase(5, "normal")]
    [TestCase(6, "low")]
    [TestCase(9, "low")]
    public void Priority_Follows_Rfc_5545_Levels(int? priority, string? expected) =>
        Assert.That(TicketIntent.PriorityOf(priority), Is.EqualTo(expected));

    [Test]
    public void An_All_Day_Due_Is_The_End_Of_That_Day_In_The_Accounts_Zone_And_A_Timed_One_Is_Its_Instant()
    {
        var tokyo = DateTimeZoneProviders.Tzdb["Asia/Tokyo"];
        Assert.That(TicketIntent.DueAtOf(new SnapshotTime(Instant.FromUtc(2026, 12, 24, 0, 0), true), tokyo), Is.EqualTo(new DateTimeOffset(2026, 12, 24, 14, 59, 59, TimeSpan.Zero)));
        Assert.That(TicketIntent.DueAtOf(new SnapshotTime(Instant.FromUtc(2026, 12, 24, 9, 30), false), tokyo), Is.EqualTo(new DateTimeOffset(2026, 12, 24, 9, 30, 0, TimeSpan.Zero)));
    }

    [TestCase("Billing Run", "billing_run")]
    [TestCase("  VIP  customer ", "vip_customer")]
    [TestCase("Größe#1", "größe_1")]
    [TestCase("a,b", "a_b")]
    [TestCase("!!!", null)]
    [TestCase("x_y", "x_y")]
    public void Categories_Become_Tags_As_Zendesk_Stores_Them(string category, string? tag) =>
        Assert.That(TagNames.Normalise(category), Is.EqualTo(tag));

    [Test]
    public void Requesters_Come_From_The_Organizer_The_First_Attendee_Or_The_Default_And_A_Non_Address_Is_Never_Sent()
    {
        var alice = new SnapshotPerson("alice@example.com", "Alice", null);
        var bob = new SnapshotPerson("bob@example.com", "Bob", "ACCEPTED");
        var zone = DateTimeZone.Utc;

        Assert.That(TicketIntent.From("t", TaskSnapshot(organizer: alice, attendees: [bob]), null, AccountOptions.Default, zone)!.Requester, Is.EqualTo(new TicketRequester("alice@example.com", "Alice")));
        var byAttendee = AccountOptions.Default.With("task_requester", "attendee");
        Assert.That(TicketIntent.From("t", TaskSnapshot(organizer: alice, attendees: [bob]), null, byAttendee, zone)!.Requester!.Email, Is.EqualTo("bob@example.com"));

        var withDefault = AccountOptions.Default.With("default_requester", "calendar@example.com");
        var broken = TicketIntent.From("t", TaskSnapshot(organizer: new SnapshotPerson("not an address", "X", null)), null, withDefault, zone)!;
        Assert.That(broken.Requester, Is.EqualTo(new TicketRequester("calendar@example.com", null)));
        Assert.That(broken.RequesterWarning, Does.Contain("not an e-mail address"));

        var none = TicketIntent.From("t", TaskSnapshot(), null, AccountOptions.Default, zone)!;
        Assert.That(none.Requester, Is.Null, "no e-mail and no default: the ticket keeps its requester");
        Assert.That(TicketIntent.From("t", TaskSnapshot(), null, AccountOptions.Default.With("ticket_properties", "off"), zone), Is.Null);
    }

    [Test]
    public void Options_Refuse_What_Is_Not_A_Requester_Source_Or_An_Address()
    {
        Assert.That(() => AccountOptions.Default.With("task_requester", "SUMMARY"), Throws.TypeOf<AccountOptionsException>().With.Message.Contains("task_requester"));
        Assert.That(() => AccountOptions.Default.With("default_requester", "calendar at example"), Throws.TypeOf<AccountOptionsException>().With.Message.Contains("default_requester"));
        Assert.That(AccountOptions.Default.With("task_requester", "x-requester").TaskRequester, Is.EqualTo("X-REQUESTER"));
        var options = AccountOptions.Default.With("task_requester", "attendee").With("ticket_properties", "off");
        Assert.That(AccountOptions.Parse(options.ToDictionary()), Is.EqualTo(options), "round trip through metadata");
    }

    [Test]
    public void Only_What_Changed_Since_Last_Set_Is_Sent()
    {
        var intent = new TicketIntent { ThreadId = "t", Kind = CalendarItemKind.Task, DueAt = Now.AddDays(1), Priority = "high", Tags = ["billing"], Requester = new("a@example.com", "A") };

        var first = TicketPropertyPlanner.Plan(intent, null, Now);
        Assert.That(first.Fields.Select(f => f.Key), Is.EquivalentTo(new[] { "type", "due_at", "priority", "additional_tags" }));
        Assert.That(first.Requester, Is.Not.Null);
        Assert.That(first.NextChange, Is.EqualTo(Now.AddDays(1)), "task_overdue is due then");

        var again = TicketPropertyPlanner.Plan(intent, first.Applied, Now);
        Assert.That(again.IsEmpty, Is.True);

        var retagged = TicketPropertyPlanner.Plan(intent with { Tags = ["finance"], Priority = "high" }, first.Applied, Now);
        Assert.That(retagged.Fields.Select(f => f.Key), Is.EquivalentTo(new[] { "additional_tags", "remove_tags" }));
        Assert.That(retagged.Fields["remove_tags"]!.AsArray().Select(t => (string)t!), Is.EqualTo(new[] { "billing" }), "only the tag we added");

        var overdue = TicketPropertyPlanner.Plan(intent, first.Applied, Now.AddDays(2));
        Assert.That(overdue.Fields["additional_tags"]!.AsArray().Select(t => (string)t!), Is.EqualTo(new[] { "task_overdue" }));
        var done = TicketPropertyPlanner.Plan(intent with { Closed = true }, overdue.Applied, Now.AddDays(3));
        Assert.That(done.Fields["remove_tags"]!.AsArray().Select(t => (string)t!), Is.EqualTo(new[] { "task_overdue" }));
    }

    [Test]
    public void Event_State_Tags_Follow_The_Clock_And_A_Moved_Start_Adds_Event_Moved()
    {
        var e = new TicketIntent { ThreadId = "t", Kind = CalendarItemKind.Event, Start = Now.AddHours(1), End = Now.AddHours(2) };
        var upcoming = TicketPropertyPlanner.Plan(e, null, Now);
        Assert.That(upcoming.Fields["additional_tags"]!.AsArray().Select(t => (string)t!), Is.EqualTo(new[] { "event_upcoming" }));
        Assert.That(upcoming.Fields.ContainsKey("type"), Is.False, "events keep their ticket type");
        Assert.That(upcoming.NextChange, Is.EqualTo(Now.AddHours(1)));

        var running = TicketPropertyPlanner.Plan(e, upcoming.Applied, Now.AddHours(1));
        Assert.That(running.Fields["additional_tags"]!.AsArray().Select(t => (string)t!), Is.EqualTo(new[] { "event_in_progress" }));
        Assert.That(running.Fields["remove_tags"]!.AsArray().Select(t => (string)t!), Is.EqualTo(new[] { "event_upcoming" }));
        Assert.That(running.NextChange, Is.EqualTo(Now.AddHours(2)));

        var ended = TicketPropertyPlanner.Plan(e, running.Applied, Now.AddHours(3));
        Assert.That(ended.Fields["additional_tags"]!.AsArray().Select(t => (string)t!), Is.EqualTo(new[] { "event_ended" }));
        Assert.That(ended.NextChange, Is.Null);

        var moved = TicketPropertyPlanner.Plan(e with { Start = Now.AddDays(1), End = Now.AddDays(1).AddHours(1) }, upcoming.Applied, Now);
        Assert.That(moved.Fields["additional_tags"]!.AsArray().Select(t => (string)t!), Is.EqualTo(new[] { "event_moved" }));

        var cancelled = TicketPropertyPlanner.Plan(e with { Cancelled = true }, upcoming.Applied, Now);
        Assert.That(cancelled.Fields["additional_tags"]!.AsArray().Select(t => (string)t!), Is.EqualTo(new[] { "event_cancelled" }));
        Assert.That(cancelled.Fields["remove_tags"]!.AsArray().Select(t => (string)t!), Is.EqualTo(new[] { "event_upcoming" }));
    }

    [Test]
    public void An_Events_Start_Date_Is_Its_Date_In_The_Accounts_Zone_And_An_All_Day_Start_Its_Own_Date()
    {
        var tokyo = DateTimeZoneProviders.Tzdb["Asia/Tokyo"];
        var honolulu = DateTimeZoneProviders.Tzdb["Pacific/Honolulu"];
        Assert.That(TicketIntent.StartDateOf(new SnapshotTime(Instant.FromUtc(2026, 12, 24, 20, 0), false), tokyo), Is.EqualTo("2026-12-25"));
        Assert.That(TicketIntent.StartDateOf(new SnapshotTime(Instant.FromUtc(2026, 12, 24, 5, 0), false), honolulu), Is.EqualTo("2026-12-23"));
        Assert.That(TicketIntent.StartDateOf(new SnapshotTime(Instant.FromUtc(2026, 12, 24, 0, 0), true), honolulu), Is.EqualTo("2026-12-24"));
    }

    [TestCase("0")]
    [TestCase("-5")]
    [TestCase("12ab")]
    [TestCase("1.5")]
    [TestCase("99999999999999999999")]
    public void The_Start_Date_Field_Must_Be_A_Positive_Ticket_Field_Id(string value) =>
        Assert.That(() => AccountOptions.Default.With("start_date_field", value), Throws.TypeOf<AccountOptionsException>().With.Message.Contains("start_date_field"));

    [Test]
    public void The_Start_Date_Field_Is_Set_For_Events_Only_And_Round_Trips()
    {
        var options = AccountOptions.Default.With("start_date_field", " 360000000042 ").With("time_zone", "Asia/Tokyo");
        Assert.That(options.StartDateField, Is.EqualTo(360000000042));
        Assert.That(AccountOptions.Parse(options.ToDictionary()), Is.EqualTo(options), "round trip through metadata");
        Assert.That(AccountOptions.Default.With("start_date_field", "").StartDateField, Is.Null);

        var zone = DateTimeZoneProviders.Tzdb["Asia/Tokyo"];
        var meeting = new ItemSnapshot { Kind = CalendarItemKind.Event, Summary = "Meeting", Start = new SnapshotTime(Instant.FromUtc(2026, 12, 24, 20, 0), false) };
        var intent = TicketIntent.From("t", meeting, null, options, zone)!;
        Assert.That((intent.StartDateField, intent.StartDate), Is.EqualTo(((long?)360000000042, "2026-12-25")));
        Assert.That(TicketIntent.From("t", TaskSnapshot(), null, options, zone)!.StartDate, Is.Null, "a task's DUE goes to due_at");
        Assert.That(TicketIntent.From("t", meeting, null, AccountOptions.Default, zone)!.StartDateField, Is.Null, "no field configured");
    }

    [Test]
    public void The_Start_Date_Is_Sent_Once_And_Again_Only_When_The_Event_Moves_To_Another_Day()
    {
        var e = new TicketIntent { ThreadId = "t", Kind = CalendarItemKind.Event, Start = Now.AddDays(1), End = Now.AddDays(1).AddHours(1), StartDateField = 42, StartDate = "2026-12-07" };

        var first = TicketPropertyPlanner.Plan(e, null, Now);
        Assert.That(first.Fields["custom_fields"]!.ToJsonString(), Is.EqualTo("""[{"id":42,"value":"2026-12-07"}]"""));

        // An agent may have changed the date in Zendesk since: an unchanged start sends nothing that would undo it.
        var unchanged = TicketPropertyPlanner.Plan(e with { Priority = "high" }, first.Applied, Now);
        Assert.That(unchanged.Fields.ContainsKey("custom_fields"), Is.False);

        var laterSameDay = TicketPropertyPlanner.Plan(e with { Start = Now.AddDays(1).AddHours(2) }, first.Applied, Now);
        Assert.That(laterSameDay.Fields.ContainsKey("custom_fields"), Is.False, "moved within the day: the date is the same");

        var moved = TicketPropertyPlanner.Plan(e with { Start = Now.AddDays(3), StartDate = "2026-12-09" }, first.Applied, Now);
        Assert.That(moved.Fields["custom_fields"]!.ToJsonString(), Is.EqualTo("""[{"id":42,"value":"2026-12-09"}]"""));
        Assert.That(moved.Applied.StartDate, Is.EqualTo("2026-12-09"));

        var otherField = TicketPropertyPlanner.Plan(e with { StartDateField = 43 }, first.Applied, Now);
        Assert.That(otherField.Fields["custom_fields"]!.ToJsonString(), Is.EqualTo("""[{"id":43,"value":"2026-12-07"}]"""), "a newly configured field gets the date");
    }
}
