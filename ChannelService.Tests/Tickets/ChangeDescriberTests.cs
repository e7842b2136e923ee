using ChannelService.Calendars;
using ChannelService.Tickets;
using NodaTime;

namespace ChannelService.Tests.Tickets;

public sealed class ChangeDescriberTests
{
    private static readonly DateTimeZone Berlin = DateTimeZoneProviders.Tzdb["Europe/Berlin"];

    private static readonly ItemSnapshot Task = new()
    {
        Kind = CalendarItemKind.Task,
        Summary = "Renew certificate",
        Description = "Renew before it expires.",
        Due = new SnapshotTime(Instant.FromUtc(2026, 11, 25, 16, 0), false),
        Status = "NEEDS-ACTION",
        Priority = 5,
        PercentComplete = 0,
        Location = "Server room",
        Organizer = new SnapshotPerson("jane@example.com", "Jane", null),
        Attendees = [new SnapshotPerson("alice@example.com", "Alice", "NEEDS-ACTION"), new SnapshotPerson("bob@example.com", null, "ACCEPTED")],
        Categories = ["Ops"],
        Url = "https://tasks.example.com/1",
        Attachments = ["https://files.example.com/a.pdf"],
    };

    private static readonly ItemSnapshot Event = new()
    {
        Kind = CalendarItemKind.Event,
        Summary = "Stand-up",
        Start = new SnapshotTime(Instant.FromUtc(2026, 11, 24, 9, 0), false),
        End = new SnapshotTime(Instant.FromUtc(2026, 11, 24, 9, 15), false),
        Status = "CONFIRMED",
    };

    private static IReadOnlyList<string> Describe(ItemSnapshot before, ItemSnapshot after) => ChangeDescriber.Describe(before, after, Berlin);

    [Test]
    public void No_Change_Says_Nothing() => Assert.That(Describe(Task, Task with { }), Is.Empty);

    [Test]
    public void Due_Date_Move_Reads_In_The_Account_Zone() =>
        Assert.That(
            Describe(Task, Task with { Due = new SnapshotTime(Instant.FromUtc(2026, 11, 28, 11, 0), false) }),
            Is.EqualTo(new[] { "Due date moved from Wed 25 Nov 17:00 to Sat 28 Nov 12:00 (Europe/Berlin)" }));

    [Test]
    public void A_Move_Of_Seconds_Shows_The_Seconds() =>
        Assert.That(
            Describe(Task, Task with { Due = new SnapshotTime(Instant.FromUtc(2026, 11, 25, 16, 0, 30), false) }),
            Is.EqualTo(new[] { "Due date moved from Wed 25 Nov 17:00:00 to Wed 25 Nov 17:00:30 (Europe/Berlin)" }));

    [Test]
    public void Start_And_End_Moves_Are_Both_Reported() =>
        Assert.That(
            Describe(Event, Event with { Start = new SnapshotTime(Instant.FromUtc(2026, 11, 24, 10, 0), false), End = new SnapshotTime(Instant.FromUtc(2026, 11, 24, 10, 15), false) }),
            Is.EqualTo(new[]
            {
                "Start moved from Tue 24 Nov 10:00 to Tue 24 Nov 11:00 (Europe/Berlin)",
                "End moved from Tue 24 Nov 10:15 to Tue 24 Nov 11:15 (Europe/Berlin)",
            }));

    [Test]
    public void All_Day_Dates_Read_Without_A_Zone() =>
        Assert.That(
            Describe(Task with { Due = new SnapshotTime(Instant.FromUtc(2026, 11, 25, 0, 0), true) }, Task with { Due = new SnapshotTime(Instant.FromUtc(2026, 12, 1, 0, 0), true) }),
            Is.EqualTo(new[] { "Due date moved from Wed 25 Nov to Tue 1 Dec" }));

    [Test]
    public void Every_Field_That_Can_Change_Has_A_Sentence()
    {
        var changed = Task with
        {
            Summary = "Renew TLS certificate",
            Description = "Renew before it expires. The old one is at /etc/ssl.",
            Due = null,
            Status = "IN-PROCESS",
            Priority = 1,
            PercentComplete = 50,
            Location = "Data centre",
            Organizer = new SnapshotPerson("max@example.com", "Max", null),
            Attendees = [new SnapshotPerson("alice@example.com", "Alice", "DECLINED"), new SnapshotPerson("carol@example.com", "Carol", "NEEDS-ACTION")],
            Categories = ["Ops", "Security"],
            Url = "https://tasks.example.com/2",
            Attachments = ["https://files.example.com/b.pdf"],
        };

        Assert.That(Describe(Task, changed), Is.EqualTo(new[]
        {
            "Title changed from \"Renew certificate\" to \"Renew TLS certificate\"",
            "Due date removed",
            "Status: in progress",
            "Percent complete: 0% → 50%",
            "Priority changed from normal (5) to high (1)",
            "Location changed to Data centre",
            "Organizer changed to Max",
            "Alice declined",
            "Carol was invited",
            "bob@example.com was removed",
            "Categories: added Security",
            "Link changed to https://tasks.example.com/2",
            "Attachments: added https://files.example.com/b.pdf; removed https://files.example.com/a.pdf",
            "Description changed: Renew before it expires. The old one is at /etc/ssl.",
        }));
    }

    /// <summary>One approval file with the sentence for every field of the model that can change (issue 5).</summary>
    [Test]
    public void Every_Change_Sentence_Matches_Its_Approved_Wording()
    {
        var cases = new (string Field, ItemSnapshot Before, ItemSnapshot After)[]
        {
            ("summary", Task, Task with { Summary = "Renew TLS certificate" }),
            ("description", Task, Task with { Description = "Renew it before Friday; the old one is in /etc/ssl." }),
            ("start", Event, Event with { Start = new SnapshotTime(Instant.FromUtc(2026, 11, 24, 10, 0), false) }),
            ("end", Event, Event with { End = new SnapshotTime(Instant.FromUtc(2026, 11, 24, 9, 45), false) }),
            ("due", Task, Task with { Due = new SnapshotTime(Instant.FromUtc(2026, 11, 28, 11, 0), false) }),
            ("status", Task, Task with { Status = "IN-PROCESS" }),
            ("priority", Task, Task with { Priority = 1 }),
            ("location", Task, Task with { Location = "Data centre" }),
            ("organizer", Task, Task with { Organizer = new SnapshotPerson("max@example.com", "Max", null) }),
            ("attendee status", Task, Task with { Attendees = [new SnapshotPerson("alice@example.com", "Alice", "ACCEPTED"), Task.Attendees[1]] }),
            ("attendee added", Task, Task with { Attendees = [.. Task.Attendees, new SnapshotPerson("carol@example.com", "Carol", "NEEDS-ACTION")] }),
            ("attendee removed", Task, Task with { Attendees = [Task.Attendees[0]] }),
            ("categories", Task, Task with { Categories = ["Ops", "Security"] }),
            ("url", Task, Task with { Url = "https://tasks.example.com/2" }),
            ("attachments", Task, Task with { Attachments = ["https://files.example.com/b.pdf"] }),
            ("percent complete", Task, Task with { PercentComplete = 60 }),
            ("cancellation", Event, Event with { Status = "CANCELLED", Cancelled = true }),
            ("deletion", Event, Event with { Deleted = true }),
        };

        var text = string.Join("\n", cases.Select(c => $"{c.Field}: {string.Join(" | ", Describe(c.Before, c.After))}")) + "\n";

        Shouldly.ShouldMatchApprovedTestExtensions.ShouldMatchApproved(text);
    }

    [Test]
    public void Completion_Says_Status_Completed() =>
        Assert.That(Describe(Task, Task with { Status = "COMPLETED", PercentComplete = 100 }), Is.EqualTo(new[] { "Status: completed", "Percent complete: 0% → 100%" }));

    [Test]
    public void Cancellation_Is_One_Sentence_Not_Also_A_Status_Change() =>
        Assert.That(Describe(Event, Event with { Status = "CANCELLED", Cancelled = true }), Is.EqualTo(new[] { "Event cancelled" }));

    [Test]
    public void Deletion_Says_Only_That() =>
        Assert.That(Describe(Event, Event with { Deleted = true, Summary = null }), Is.EqualTo(new[] { "Deleted from the calendar" }));

    [Test]
    public void An_Occurrence_Taken_Out_Of_Its_Series_Is_Cancelled_And_Can_Be_Restored()
    {
        var excluded = Event with { Deleted = true, Excluded = true };

        Assert.That(Describe(Event, excluded), Is.EqualTo(new[] { "Occurrence cancelled" }));
        Assert.That(Describe(excluded, Event), Is.EqualTo(new[] { "Occurrence restored" }));
        Assert.That(Describe(Event with { Deleted = true }, Event), Is.EqualTo(new[] { "Restored in the source" }));
    }

    [Test]
    public void A_Snapshot_Without_An_Exclusion_Reads_And_Writes_As_Before() =>
        Assert.That(Event.ToJson(), Does.Not.Contain("excluded"), "the versions of stored snapshots stay the same");

    [Test]
    public void Attendee_Answers_Are_Worded_Per_Status() =>
        Assert.That(
            Describe(Task, Task with { Attendees = [new SnapshotPerson("alice@example.com", "Alice", "TENTATIVE"), new SnapshotPerson("BOB@example.com", null, "ACCEPTED")] }),
            Is.EqualTo(new[] { "Alice tentatively accepted" }),
            "addresses compare case-insensitively");

    [Test]
    public void Long_Descriptions_Are_Excerpted()
    {
        var sentences = Describe(Task, Task with { Description = string.Join(' ', Enumerable.Repeat("word", 200)) });

        Assert.That(sentences.Single(), Does.StartWith("Description changed: word word"));
        Assert.That(sentences.Single().Length, Is.LessThan(160));
        Assert.That(sentences.Single(), Does.EndWith("…"));
    }

    [Test]
    public void Snapshots_Survive_The_Mirror_Round_Trip()
    {
        var json = Task.ToJson();

        var back = ItemSnapshot.FromJson(json);

        Assert.That(Describe(Task, back), Is.Empty);
        Assert.That(back.Attendees, Is.EqualTo(Task.Attendees));
    }
}
