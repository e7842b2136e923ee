using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using ChannelService.Accounts;
using ChannelService.Sources;
using ChannelService.Sources.CalDav;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Pull;

/// <summary>
/// The pull end to end on a real CalDAV server: a Radicale on loopback (one per fixture, a fresh collection per test),
/// changed behind the service's back with plain PUT and DELETE as another client would, the real service in a test
/// host, and a small Zendesk that applies every response the way Zendesk does. Each test compares the tickets and
/// comments with what the server holds.
/// </summary>
[TestFixture]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "NUnit disposes them in TearDown")]
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed partial class PullRadicaleScenarioTests(TestStore testStore)
{
    private const string Berlin = "time_zone=Europe/Berlin";
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private static readonly HttpMethod Report = new("REPORT");

    private RadicaleServer server = null!;
    private ServiceFactory factory = null!;
    private ManualTimeProvider clock = null!;
    private WebApplicationFactory<Program> host = null!;
    private HttpClient client = null!;

    /// <summary>Responses <see cref="DrainAsync"/> dropped on their way to Zendesk.</summary>
    private int lostResponses;

    /// <summary>When a test sets it, the service's CalDAV requests go through it and are recorded.</summary>
    private RecordingHandler? recorder;

    /// <summary>When a test sets it, the service's CalDAV requests go through it (it wins over <see cref="recorder"/>).</summary>
    private DelegatingHandler? interposed;

    [OneTimeSetUp]
    public async Task StartRadicale() => server = await RadicaleServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRadicale() => await server.DisposeAsync();

    [SetUp]
    public void StartService()
    {
        recorder = null;
        interposed = null;
        lostResponses = 0;
        clock = new ManualTimeProvider(Start);
        factory = NewFactory();
        StartHost();
    }

    [TearDown]
    public async Task StopService()
    {
        client.Dispose();
        await host.DisposeAsync();
        await factory.DisposeAsync();
        recorder?.Dispose();
        interposed?.Dispose();
    }

    // ------------------------------------------------------------ first sync

    [Test]
    public async Task First_Sync_Imports_Open_Tasks_And_Events_In_The_Window_As_One_Ticket_Each()
    {
        var collection = await server.CreateCollectionAsync(displayName: "Support");
        await PutAsync(collection, "t-open", Todo("t-open", "Renew certificate"));
        await PutAsync(collection, "t-busy", Todo("t-busy", "Order toner", status: "IN-PROCESS"));
        await PutAsync(collection, "t-nodue", Todo("t-nodue", "Water plants", due: null));
        await PutAsync(collection, "t-done", Todo("t-done", "Old chore", status: "COMPLETED"));
        await PutAsync(collection, "t-cancelled", Todo("t-cancelled", "Dropped idea", status: "CANCELLED"));
        await PutAsync(collection, "e-soon", Event("e-soon", "Planning", "20261124T090000Z", "20261124T100000Z"));
        await PutAsync(collection, "e-running", Event("e-running", "Conference", "20261121T090000Z", "20261123T170000Z"));
        await PutAsync(collection, "e-far", Event("e-far", "Offsite", "20270301T090000Z", "20270301T170000Z"));
        await PutAsync(collection, "e-past", Event("e-past", "Retro", "20261001T090000Z", "20261001T100000Z"));
        var tasks = new FakeZendesk();
        var events = new FakeZendesk();
        var taskResources = new List<JsonNode>();
        var eventResources = new List<JsonNode>();

        await DrainAsync(Metadata("caldav-tasks", collection), tasks, seen: taskResources);
        await DrainAsync(Metadata("caldav-calendar", collection), events, seen: eventResources);

        var held = await ServerItemsAsync(collection);
        Assert.That(held, Has.Count.EqualTo(9), "the server holds what was PUT");
        var openTasks = held.Where(i => i.Kind == "VTODO" && i.Status is not ("COMPLETED" or "CANCELLED")).ToList();
        var eventsInWindow = held.Where(i => i.Kind == "VEVENT" && i.Start < Start.AddDays(30) && i.End > Start.AddDays(-1)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(Tickets(tasks), Is.EquivalentTo(openTasks.Select(i => (i.Uid, i.Summary))));
            Assert.That(Tickets(events), Is.EquivalentTo(eventsInWindow.Select(i => (i.Uid, i.Summary))));
            Assert.That(Tickets(tasks).Select(t => t.Subject), Is.EquivalentTo(new[] { "Renew certificate", "Order toner", "Water plants" }));
            Assert.That(Tickets(events).Select(t => t.Subject), Is.EquivalentTo(new[] { "Planning", "Conference" }));
            Assert.That(tasks.Tickets.Values.Concat(events.Tickets.Values).SelectMany(t => t.Comments), Is.Empty);
            Assert.That(tasks.Duplicates + events.Duplicates, Is.Zero);
            Assert.That(taskResources.Concat(eventResources).Select(r => (bool)r["allow_channelback"]!), Is.All.True, "CalDAV takes replies");
        });
    }

    // ------------------------------------------------------------ changes

    [Test]
    public async Task Task_Changes_Made_By_Another_Client_Become_One_Comment_Each_And_A_Rewrite_Says_Nothing()
    {
        var collection = await server.CreateCollectionAsync(components: ["VTODO"]);
        await PutAsync(collection, "t1", Todo("t1", "Renew certificate"));
        await PutAsync(collection, "t2", Todo("t2", "Untouched"));
        var metadata = Metadata("caldav-tasks", collection, Berlin);
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        var expected = new List<string>();
        async Task StepAsync(string ics, string? sentence)
        {
            await PutAsync(collection, "t1", ics);
            clock.Advance(TimeSpan.FromMinutes(1));
            await DrainAsync(metadata, zendesk);
            if (sentence is not null)
            {
                expected.Add(sentence);
            }

            Assert.That(TicketOf(zendesk, "t1").Comments, Is.EqualTo(expected), "after: " + (sentence ?? "a rewrite"));
        }

        await StepAsync(Todo("t1", "Renew certificate", due: "20261128T110000Z"), "Due date moved from Wed 25 Nov 18:00 to Sat 28 Nov 12:00 (Europe/Berlin)");
        await StepAsync(Todo("t1", "Renew TLS certificate", due: "20261128T110000Z"), "Title changed from \"Renew certificate\" to \"Renew TLS certificate\"");
        var etag = await ETagAsync(collection, "t1");
        await StepAsync(Reordered(Todo("t1", "Renew TLS certificate", due: "20261128T110000Z", dtstamp: "20261122T081500Z")), null);
        Assert.That(await ETagAsync(collection, "t1"), Is.Not.EqualTo(etag), "the server holds new bytes, so the service read them");
        await StepAsync(Todo("t1", "Renew TLS certificate", due: "20261128T110000Z", status: "COMPLETED"), "Status: completed");

        var held = (await ServerItemsAsync(collection)).Single(i => i.Uid == "t1");
        Assert.Multiple(() =>
        {
            Assert.That((held.Summary, held.Status, held.Due), Is.EqualTo(("Renew TLS certificate", "COMPLETED", (DateTimeOffset?)new DateTimeOffset(2026, 11, 28, 11, 0, 0, TimeSpan.Zero))));
            Assert.That(TicketOf(zendesk, "t2").Comments, Is.Empty);
            Assert.That(zendesk.Tickets, Has.Count.EqualTo(2));
            Assert.That(zendesk.Duplicates, Is.Zero);
        });
    }

    [Test]
    public async Task Event_Changes_Made_By_Another_Client_Become_One_Comment_Each_And_A_Rewrite_Says_Nothing()
    {
        var collection = await server.CreateCollectionAsync(components: ["VEVENT"]);
        string Planning(string summary = "Planning", string start = "20261124T090000Z", string end = "20261124T100000Z", string room = "Room 1", string alice = "NEEDS-ACTION", string dtstamp = "20261101T000000Z") =>
            Event("e1", summary, start, end, dtstamp: dtstamp, extra:
                $"LOCATION:{room}\r\nORGANIZER;CN=Bo:mailto:bo@example.org\r\nATTENDEE;CN=Alice;PARTSTAT={alice}:mailto:alice@example.org\r\n");
        await PutAsync(collection, "e1", Planning());
        await PutAsync(collection, "e2", Event("e2", "Untouched", "20261125T090000Z", "20261125T100000Z"));
        var metadata = Metadata("caldav-calendar", collection, Berlin);
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        Assert.That(Tickets(zendesk).Select(t => t.Uid), Is.EquivalentTo(new[] { "e1", "e2" }));

        var expected = new List<string>();
        async Task StepAsync(string ics, string? sentence)
        {
            await PutAsync(collection, "e1", ics);
            clock.Advance(TimeSpan.FromMinutes(1));
            await DrainAsync(metadata, zendesk);
            if (sentence is not null)
            {
                expected.Add(sentence);
            }

            Assert.That(TicketOf(zendesk, "e1").Comments, Is.EqualTo(expected), "after: " + (sentence ?? "a rewrite"));
        }

        await StepAsync(Planning(room: "Room 2"), "Location changed to Room 2");
        await StepAsync(Planning(room: "Room 2", alice: "DECLINED"), "Alice declined");
        await StepAsync(Planning("Quarterly planning", room: "Room 2", alice: "DECLINED"), "Title changed from \"Planning\" to \"Quarterly planning\"");
        await StepAsync(
            Planning("Quarterly planning", "20261124T100000Z", "20261124T110000Z", "Room 2", "DECLINED"),
            "Start moved from Tue 24 Nov 10:00 to Tue 24 Nov 11:00 (Europe/Berlin)\nEnd moved from Tue 24 Nov 11:00 to Tue 24 Nov 12:00 (Europe/Berlin)");
        await StepAsync(Reordered(Planning("Quarterly planning", "20261124T100000Z", "20261124T110000Z", "Room 2", "DECLINED", dtstamp: "20261122T090000Z")), null);

        var held = (await ServerItemsAsync(collection)).Single(i => i.Uid == "e1");
        Assert.Multiple(() =>
        {
            Assert.That((held.Summary, held.Location, held.Start), Is.EqualTo(("Quarterly planning", "Room 2", (DateTimeOffset?)new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero))));
            Assert.That(TicketOf(zendesk, "e2").Comments, Is.Empty);
            Assert.That(zendesk.Duplicates, Is.Zero);
        });
    }

    [Test]
    public async Task Items_Deleted_On_The_Server_Get_One_Final_Comment_And_One_Put_Back_Continues_Its_Ticket()
    {
        var collection = await server.CreateCollectionAsync();
        await PutAsync(collection, "t-keep", Todo("t-keep", "Keep"));
        await PutAsync(collection, "t-gone", Todo("t-gone", "Remove me"));
        await PutAsync(collection, "e-keep", Event("e-keep", "Stays", "20261124T090000Z", "20261124T100000Z"));
        await PutAsync(collection, "e-gone", Event("e-gone", "Called off", "20261125T090000Z", "20261125T100000Z"));
        var taskMetadata = Metadata("caldav-tasks", collection);
        var eventMetadata = Metadata("caldav-calendar", collection);
        var tasks = new FakeZendesk();
        var events = new FakeZendesk();
        await DrainAsync(taskMetadata, tasks);
        await DrainAsync(eventMetadata, events);

        await DeleteAsync(collection, "t-gone");
        await DeleteAsync(collection, "e-gone");
        await DrainAsync(taskMetadata, tasks);
        await DrainAsync(eventMetadata, events);
        var (_, again) = await PullAsync(taskMetadata, tasks.State);

        var held = (await ServerItemsAsync(collection)).Select(i => i.Uid).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(held, Is.EquivalentTo(new[] { "t-keep", "e-keep" }));
            Assert.That(TicketOf(tasks, "t-gone").Comments, Is.EqualTo(new[] { "Deleted from the task list" }));
            Assert.That(TicketOf(events, "e-gone").Comments, Is.EqualTo(new[] { "Deleted from the calendar" }));
            Assert.That(TicketOf(tasks, "t-keep").Comments, Is.Empty);
            Assert.That(TicketOf(events, "e-keep").Comments, Is.Empty);
            Assert.That(again!["external_resources"]!.AsArray(), Is.Empty, "a deletion is reported once");
        });

        // The same UID put back by another client continues its ticket.
        await PutAsync(collection, "t-gone", Todo("t-gone", "Remove me"));
        await DrainAsync(taskMetadata, tasks);
        Assert.That(TicketOf(tasks, "t-gone").Comments, Is.EqualTo(new[] { "Deleted from the task list", "Restored in the source" }));
        Assert.That(tasks.Tickets, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Moved_Cancelled_And_Excluded_Occurrences_Each_Get_One_Comment_On_Their_Own_Ticket()
    {
        var collection = await server.CreateCollectionAsync(components: ["VEVENT"]);
        const string Master = "BEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Stand-up\r\nDTSTART:20261123T090000Z\r\nDTEND:20261123T091500Z\r\nRRULE:FREQ=DAILY;COUNT=5\r\nEND:VEVENT\r\n";
        await PutAsync(collection, "standup", Calendar(Master));
        var metadata = Metadata("caldav-calendar", collection, Berlin);
        var zendesk = new FakeZendesk();
        var openings = new List<JsonNode>();
        await DrainAsync(metadata, zendesk, seen: openings);
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(5), "one ticket per occurrence");
        Assert.That(zendesk.Tickets.Values.Select(t => t.Subject), Is.EquivalentTo(new[]
        {
            "Stand-up – Mon 23 Nov 2026", "Stand-up – Tue 24 Nov 2026", "Stand-up – Wed 25 Nov 2026", "Stand-up – Thu 26 Nov 2026", "Stand-up – Fri 27 Nov 2026",
        }), "each subject carries its occurrence's date");
        string ThreadOf(string date) => (string)openings.Single(r => (string?)r["display_info"]![0]!["data"]!["occurrence_date"] == date)["thread_id"]!;
        var wednesday = ThreadOf("2026-11-25");

        // Another client moves Wednesday's occurrence by an hour: an override (RECURRENCE-ID) in the same resource.
        const string Override = "BEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20261122T080000Z\r\nRECURRENCE-ID:20261125T090000Z\r\nSUMMARY:Stand-up\r\nDTSTART:20261125T100000Z\r\nDTEND:20261125T101500Z\r\nEND:VEVENT\r\n";
        await PutAsync(collection, "standup", Calendar(Master + Override));
        clock.Advance(TimeSpan.FromMinutes(1));
        await DrainAsync(metadata, zendesk);

        Assert.Multiple(() =>
        {
            Assert.That(zendesk.Tickets, Has.Count.EqualTo(5), "the same occurrences, no new ticket");
            Assert.That(zendesk.Tickets[wednesday].Comments, Is.EqualTo(new[] { "Start moved from Wed 25 Nov 10:00 to Wed 25 Nov 11:00 (Europe/Berlin)\nEnd moved from Wed 25 Nov 10:15 to Wed 25 Nov 11:15 (Europe/Berlin)" }));
            Assert.That(zendesk.Tickets.Where(t => t.Key != wednesday).SelectMany(t => t.Value.Comments), Is.Empty);
            Assert.That(zendesk.Duplicates, Is.Zero);
        });

        // Then Thursday is cancelled (an override with STATUS:CANCELLED) and Friday removed from the series (EXDATE).
        var thursday = ThreadOf("2026-11-26");
        var friday = ThreadOf("2026-11-27");
        const string Cancelled = "BEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20261122T080000Z\r\nRECURRENCE-ID:20261126T090000Z\r\nSUMMARY:Stand-up\r\nDTSTART:20261126T090000Z\r\nDTEND:20261126T091500Z\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n";
        await PutAsync(collection, "standup", Calendar(Master.Replace("RRULE:FREQ=DAILY;COUNT=5\r\n", "RRULE:FREQ=DAILY;COUNT=5\r\nEXDATE:20261127T090000Z\r\n") + Override + Cancelled));
        clock.Advance(TimeSpan.FromMinutes(1));
        await DrainAsync(metadata, zendesk);

        Assert.Multiple(() =>
        {
            Assert.That(zendesk.Tickets[thursday].Comments, Is.EqualTo(new[] { "Event cancelled" }));
            Assert.That(zendesk.Tickets[friday].Comments, Is.EqualTo(new[] { "Occurrence cancelled" }), "an occurrence gone from its series");
            Assert.That(zendesk.Tickets[wednesday].Comments, Has.Count.EqualTo(1));
            Assert.That(zendesk.Tickets, Has.Count.EqualTo(5));
        });
    }

    [Test]
    public async Task A_Vtimezone_Corrected_By_Another_Client_Moves_The_Event_Once_And_A_Rewrite_Says_Nothing()
    {
        var collection = await server.CreateCollectionAsync(components: ["VEVENT"]);
        static string Zoned(string standardOffset, string lastModified = "") => Calendar(
            "BEGIN:VTIMEZONE\r\nTZID:Office Time\r\n" + lastModified
            + "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:" + standardOffset + "\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
            + "BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:" + standardOffset + "\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
            + "END:VTIMEZONE\r\n"
            + "BEGIN:VEVENT\r\nUID:office\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Office hours\r\nDTSTART;TZID=Office Time:20261124T100000\r\nDTEND;TZID=Office Time:20261124T110000\r\nEND:VEVENT\r\n");
        await PutAsync(collection, "office", Zoned("+0100"));
        var metadata = Metadata("caldav-calendar", collection, Berlin);
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        await PutAsync(collection, "office", Zoned("+0000"));
        clock.Advance(TimeSpan.FromMinutes(1));
        await DrainAsync(metadata, zendesk);
        await DrainAsync(metadata, zendesk);
        var afterCorrection = TicketOf(zendesk, "office").Comments.ToList();

        await PutAsync(collection, "office", Zoned("+0000", "LAST-MODIFIED:20261122T080000Z\r\n"));
        clock.Advance(TimeSpan.FromMinutes(1));
        await DrainAsync(metadata, zendesk);

        Assert.Multiple(() =>
        {
            Assert.That(afterCorrection, Is.EqualTo(new[] { "Start moved from Tue 24 Nov 10:00 to Tue 24 Nov 11:00 (Europe/Berlin)\nEnd moved from Tue 24 Nov 11:00 to Tue 24 Nov 12:00 (Europe/Berlin)" }));
            Assert.That(TicketOf(zendesk, "office").Comments, Is.EqualTo(afterCorrection), "the zone written again says nothing");
            Assert.That(zendesk.Duplicates, Is.Zero);
        });
    }

    // ------------------------------------------------------------ lost responses

    [Test]
    public async Task Lost_Responses_Are_Sent_Again_And_Every_Ticket_And_Change_Arrives_Exactly_Once()
    {
        const int Count = 250;
        var collection = await server.CreateCollectionAsync(components: ["VTODO"]);
        server.WriteItems(collection, Enumerable.Range(0, Count).Select(i => ($"t{i}.ics", Todo($"t{i}", $"Task {i}"))));
        var metadata = Metadata("caldav-tasks", collection);
        var zendesk = new FakeZendesk();
        // This seed loses the first page twice and the first answer after the changes once (among others).
        var random = new Random(2026);
        await DrainAsync(metadata, zendesk, random);
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(Count));

        // A round of changes by another client: every fourth task done, every tenth renamed, a few deleted, a few new.
        static bool Done(int i) => i % 4 == 0;
        static bool Renamed(int i) => i % 10 == 0;
        var deleted = Enumerable.Range(0, Count).Where(i => i % 20 == 1).ToList();
        server.WriteItems(collection, Enumerable.Range(0, Count).Where(i => Done(i) || Renamed(i)).Select(i =>
            ($"t{i}.ics", Todo($"t{i}", Renamed(i) ? $"Task {i} (renamed)" : $"Task {i}", status: Done(i) ? "COMPLETED" : "NEEDS-ACTION"))));
        foreach (var i in deleted)
        {
            await DeleteAsync(collection, $"t{i}");
        }

        server.WriteItems(collection, Enumerable.Range(0, 10).Select(i => ($"n{i}.ics", Todo($"n{i}", $"New {i}"))));
        clock.Advance(TimeSpan.FromMinutes(5));
        await DrainAsync(metadata, zendesk, random);
        await DrainAsync(metadata, zendesk);

        var held = (await ServerItemsAsync(collection)).ToDictionary(i => i.Uid);
        Assert.That(held, Has.Count.EqualTo(Count - deleted.Count + 10));
        var byUid = zendesk.Tickets.Values.ToDictionary(t => t.Uid!);
        Assert.That(byUid.Keys, Is.EquivalentTo(held.Keys.Concat(deleted.Select(i => $"t{i}"))), "one ticket per item, deleted ones included");
        var wrong = new List<string>();
        for (var i = 0; i < Count; i++)
        {
            var lines = new List<string>();
            if (Renamed(i))
            {
                lines.Add($"Title changed from \"Task {i}\" to \"Task {i} (renamed)\"");
            }

            if (Done(i))
            {
                lines.Add("Status: completed");
            }

            string[] expected = deleted.Contains(i) ? ["Deleted from the task list"] : lines.Count > 0 ? [string.Join("\n", lines)] : [];
            if (!byUid[$"t{i}"].Comments.SequenceEqual(expected))
            {
                wrong.Add($"t{i}: [{string.Join(" | ", byUid[$"t{i}"].Comments)}] instead of [{string.Join(" | ", expected)}]");
            }

            if (held.TryGetValue($"t{i}", out var item) && item.Summary != (Renamed(i) ? $"Task {i} (renamed)" : $"Task {i}"))
            {
                wrong.Add($"t{i}: the server holds {item.Summary}");
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(wrong, Is.Empty, "each change arrived exactly once");
            Assert.That(Enumerable.Range(0, 10).Select(i => byUid[$"n{i}"].Comments.Count), Is.All.Zero);
            Assert.That(zendesk.Duplicates, Is.Zero, "an acknowledged response is never sent again");
            Assert.That(lostResponses, Is.GreaterThanOrEqualTo(3), "responses were lost and pulled again");
        });
    }

    // ------------------------------------------------------------ restart, lost database, sync token

    [Test]
    public async Task A_Restart_Between_Pulls_Resends_Nothing_And_Later_Changes_Arrive_Incrementally()
    {
        var collection = await server.CreateCollectionAsync(components: ["VTODO"]);
        await PutAsync(collection, "t1", Todo("t1", "One"));
        await PutAsync(collection, "t2", Todo("t2", "Two"));
        var metadata = Metadata("caldav-tasks", collection);
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        recorder = new RecordingHandler();
        await RestartAsync();
        var (status, body) = await PullAsync(metadata, zendesk.State);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["external_resources"]!.AsArray(), Is.Empty, "the new host knows what Zendesk has");
        zendesk.Apply(body);

        await PutAsync(collection, "t2", Todo("t2", "Two", status: "COMPLETED"));
        await PutAsync(collection, "t3", Todo("t3", "Three"));
        clock.Advance(TimeSpan.FromMinutes(1));
        await DrainAsync(metadata, zendesk);

        Assert.Multiple(() =>
        {
            Assert.That(Tickets(zendesk), Is.EquivalentTo(new[] { ("t1", "One"), ("t2", "Two"), ("t3", "Three") }));
            Assert.That(TicketOf(zendesk, "t2").Comments, Is.EqualTo(new[] { "Status: completed" }));
            Assert.That(TicketOf(zendesk, "t1").Comments, Is.Empty);
            Assert.That(zendesk.Duplicates, Is.Zero);
            Assert.That(recorder.SyncTokens, Has.All.Not.Empty, "the restarted service went on from the stored sync token");
            Assert.That(recorder.MultigetHrefs.SelectMany(h => h).Select(Name), Is.EquivalentTo(new[] { "t2.ics", "t3.ics" }), "only what changed was fetched");
        });
    }

    [Test]
    public async Task A_Lost_Database_Resyncs_Everything_And_Zendesk_Ends_Without_Duplicate_Tickets()
    {
        var collection = await server.CreateCollectionAsync();
        await PutAsync(collection, "t1", Todo("t1", "One"));
        await PutAsync(collection, "t2", Todo("t2", "Two"));
        await PutAsync(collection, "e1", Event("e1", "Meeting", "20261124T090000Z", "20261124T100000Z"));
        var taskMetadata = Metadata("caldav-tasks", collection, Berlin);
        var eventMetadata = Metadata("caldav-calendar", collection);
        var tasks = new FakeZendesk();
        var events = new FakeZendesk();
        await DrainAsync(taskMetadata, tasks);
        await DrainAsync(eventMetadata, events);
        await PutAsync(collection, "t1", Todo("t1", "One", due: "20261128T110000Z"));
        clock.Advance(TimeSpan.FromMinutes(1));
        await DrainAsync(taskMetadata, tasks);
        Assert.That(TicketOf(tasks, "t1").Comments, Has.Count.EqualTo(1));

        // A new host on an empty data folder with only the keys kept; Zendesk still holds the old states.
        await ReplaceDatabaseAsync();
        var taskResources = new List<JsonNode>();
        var eventResources = new List<JsonNode>();
        await DrainAsync(taskMetadata, tasks, seen: taskResources);
        await DrainAsync(eventMetadata, events, seen: eventResources);

        Assert.Multiple(() =>
        {
            Assert.That(taskResources.Count + eventResources.Count, Is.EqualTo(3), "everything is sent again");
            Assert.That(tasks.Duplicates + events.Duplicates, Is.EqualTo(3), "and Zendesk drops all of it as already imported");
            Assert.That(Tickets(tasks), Is.EquivalentTo(new[] { ("t1", "One"), ("t2", "Two") }));
            Assert.That(Tickets(events), Is.EquivalentTo(new[] { ("e1", "Meeting") }));
            Assert.That(TicketOf(tasks, "t1").Comments, Has.Count.EqualTo(1), "the earlier change is not told twice");
        });

        await PutAsync(collection, "t1", Todo("t1", "One", due: "20261128T110000Z", status: "COMPLETED"));
        await PutAsync(collection, "e1", Event("e1", "Meeting", "20261124T090000Z", "20261124T100000Z", "LOCATION:Room 3\r\n"));
        clock.Advance(TimeSpan.FromMinutes(1));
        await DrainAsync(taskMetadata, tasks);
        await DrainAsync(eventMetadata, events);

        Assert.Multiple(() =>
        {
            Assert.That(TicketOf(tasks, "t1").Comments, Is.EqualTo(new[] { "Due date moved from Wed 25 Nov 18:00 to Sat 28 Nov 12:00 (Europe/Berlin)", "Status: completed" }));
            Assert.That(TicketOf(events, "e1").Comments, Is.EqualTo(new[] { "Location set to Room 3" }));
            Assert.That(tasks.Tickets.Count + events.Tickets.Count, Is.EqualTo(3));
        });
    }

    [TestCase("open")]
    [TestCase("all")]
    public async Task A_Task_Closed_While_The_Database_Was_Lost_Gets_Its_Closing_Notice_Once_And_No_Old_Task_Is_Imported(string tasks)
    {
        var collection = await server.CreateCollectionAsync(components: ["VTODO"]);
        await PutAsync(collection, "t-old", Todo("t-old", "Done long ago", status: "COMPLETED", extra: "COMPLETED:20261001T120000Z\r\n"));
        await PutAsync(collection, "t1", Todo("t1", "One"));
        await PutAsync(collection, "t2", Todo("t2", "Two"));
        await PutAsync(collection, "t3", Todo("t3", "Three"));
        var metadata = Metadata("caldav-tasks", collection, "tasks=" + tasks);
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        var imported = zendesk.Tickets.Count;

        // Before the loss: t2 is completed and Zendesk hears it.
        clock.Advance(TimeSpan.FromHours(1));
        await PutAsync(collection, "t2", Todo("t2", "Two", status: "COMPLETED", dtstamp: "20261122T090000Z", extra: "COMPLETED:20261122T090000Z\r\n"));
        await DrainAsync(metadata, zendesk);
        Assert.That(TicketOf(zendesk, "t2").Comments, Is.EqualTo(new[] { "Status: completed" }));

        // The data folder is lost; meanwhile t1 is completed and t3 cancelled by another client.
        await ReplaceDatabaseAsync();
        clock.Advance(TimeSpan.FromHours(1));
        await PutAsync(collection, "t1", Todo("t1", "One", status: "COMPLETED", dtstamp: "20261122T100000Z", extra: "COMPLETED:20261122T100000Z\r\n"));
        await PutAsync(collection, "t3", Todo("t3", "Three", status: "CANCELLED", dtstamp: "20261122T100000Z", extra: "LAST-MODIFIED:20261122T100000Z\r\n"));
        await DrainAsync(metadata, zendesk);
        await DrainAsync(metadata, zendesk);

        Assert.Multiple(() =>
        {
            Assert.That(zendesk.Tickets, Has.Count.EqualTo(imported), "no new ticket: not for the task done long ago either");
            Assert.That(TicketOf(zendesk, "t1").Comments, Is.EqualTo(new[] { "Status: completed" }), "completed while the database was lost");
            Assert.That(TicketOf(zendesk, "t3").Comments, Is.EqualTo(new[] { "Task cancelled" }));
            Assert.That(TicketOf(zendesk, "t2").Comments, Is.EqualTo(new[] { "Status: completed" }), "told before the loss: its notice came again under the same id and was dropped");
            Assert.That(zendesk.Duplicates, Is.EqualTo(imported + 1), "every opening once more, and t2's notice");
        });
        if (tasks == "all")
        {
            Assert.That(TicketOf(zendesk, "t-old").Comments, Is.Empty, "imported closed at the first sync: nothing to tell");
        }

        // After the resync, changes are told as usual, once.
        clock.Advance(TimeSpan.FromHours(1));
        await PutAsync(collection, "t1", Todo("t1", "One", dtstamp: "20261122T110000Z"));
        await DrainAsync(metadata, zendesk);
        await DrainAsync(metadata, zendesk);
        Assert.That(TicketOf(zendesk, "t1").Comments, Is.EqualTo(new[] { "Status: completed", "Status: needs action" }));
    }

    [Test]
    public async Task A_Pull_After_Changes_Uses_The_Sync_Token_And_Fetches_Only_What_Changed()
    {
        recorder = new RecordingHandler();
        var collection = await server.CreateCollectionAsync(components: ["VTODO"]);
        server.WriteItems(collection, Enumerable.Range(0, 20).Select(i => ($"t{i}.ics", Todo($"t{i}", $"Task {i}"))));
        var metadata = Metadata("caldav-tasks", collection);
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        Assert.That(recorder.SyncTokens.First(), Is.Empty, "the first pull starts an initial sync (RFC 6578 §3.2)");
        Assert.That(recorder.MultigetHrefs.SelectMany(h => h).Count(), Is.EqualTo(20));

        recorder.Clear();
        await PutAsync(collection, "t5", Todo("t5", "Task 5", status: "COMPLETED"));
        await DeleteAsync(collection, "t6");
        clock.Advance(TimeSpan.FromMinutes(1));
        await DrainAsync(metadata, zendesk);

        Assert.Multiple(() =>
        {
            Assert.That(recorder.SyncTokens, Is.Not.Empty.And.All.Not.Empty, "every later pull sends the stored token");
            Assert.That(recorder.Methods, Has.None.EqualTo("PROPFIND"), "no discovery or listing of the collection again");
            Assert.That(recorder.MultigetHrefs.SelectMany(h => h).Select(Name), Is.EqualTo(new[] { "t5.ics" }), "only the changed object was fetched");
            Assert.That(TicketOf(zendesk, "t5").Comments, Is.EqualTo(new[] { "Status: completed" }));
            Assert.That(TicketOf(zendesk, "t6").Comments, Is.EqualTo(new[] { "Deleted from the task list" }));
            Assert.That(zendesk.Tickets.Values.Sum(t => t.Comments.Count), Is.EqualTo(2));
        });
    }

    // ------------------------------------------------------------ service and Zendesk helpers

    private ServiceFactory NewFactory() => new(new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = "true" }, store: testStore);

    private void StartHost()
    {
        host = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton<ISourceFactory>(sp => new CalDavRoutingSourceFactory(sp, () => (HttpMessageHandler?)interposed ?? recorder));
        }));
        client = host.CreateClient();
    }

    /// <summary>Stops the web host and starts a new one on the same data folder, as a service restart does.</summary>
    private async Task RestartAsync()
    {
        client.Dispose();
        await host.DisposeAsync();

        // Pooled connections would outlive the host inside this process; a restarted service opens the file afresh.
        SqliteConnection.ClearAllPools();
        StartHost();
    }

    /// <summary>A new host on a new, empty data folder that holds only the old keys.json (the database is lost).</summary>
    private async Task ReplaceDatabaseAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
        var fresh = NewFactory();
        Directory.CreateDirectory(fresh.DataDirectory);
        File.Copy(Path.Combine(factory.DataDirectory, "keys.json"), Path.Combine(fresh.DataDirectory, "keys.json"));
        await factory.DisposeAsync();
        SqliteConnection.ClearAllPools();
        factory = fresh;
        StartHost();
    }

    private string Metadata(string kind, Uri collection, params string[] options)
    {
        var pairs = options.Select(o => o.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], p[1])).ToList();
        var account = new NewAccountRequest(kind, collection.AbsoluteUri, server.UserName, server.Password, "Support", pairs).Create(TimeProvider.System);
        return host.Services.GetRequiredService<MetadataCodec>().Encode(account);
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> PullAsync(string metadata, string? state)
    {
        var form = new Dictionary<string, string> { ["metadata"] = metadata };
        if (state is not null)
        {
            form["state"] = state;
        }

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        if (response.IsSuccessStatusCode)
        {
            ZendeskSchemas.AssertValid("pull_payload.json", text);
        }

        return (response.StatusCode, JsonNode.Parse(text));
    }

    /// <summary>
    /// Pulls until the backlog is empty, applying each answer to <paramref name="zendesk"/>; with
    /// <paramref name="loseSome"/> a third of the answers never reach it (it keeps its old state and pulls again).
    /// </summary>
    private async Task DrainAsync(string metadata, FakeZendesk zendesk, Random? loseSome = null, List<JsonNode>? seen = null)
    {
        for (var pulls = 0; pulls < 100; pulls++)
        {
            var (status, body) = await PullAsync(metadata, zendesk.State);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
            if (loseSome is not null && loseSome.Next(3) == 0)
            {
                lostResponses++;
                continue;
            }

            var resources = body!["external_resources"]!.AsArray();
            seen?.AddRange(resources.Select(r => r!));
            zendesk.Apply(body);
            if (resources.Count == 0)
            {
                return;
            }
        }

        Assert.Fail("the backlog never drained");
    }

    private static IEnumerable<(string? Uid, string? Subject)> Tickets(FakeZendesk zendesk) => zendesk.Tickets.Values.Select(t => (t.Uid, t.Subject));

    private static FakeZendesk.Ticket TicketOf(FakeZendesk zendesk, string uid) => zendesk.Tickets.Values.Single(t => t.Uid == uid);

    private static string Name(string href) => href[(href.TrimEnd('/').LastIndexOf('/') + 1)..];

    // ------------------------------------------------------------ server helpers

    private static string Calendar(string component) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ChannelService//pull tests//EN\r\n" + component + "END:VCALENDAR\r\n";

    private static string Todo(string uid, string summary, string? due = "20261125T170000Z", string status = "NEEDS-ACTION", string extra = "", string dtstamp = "20261101T000000Z") =>
        Calendar($"BEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:{dtstamp}\r\nSUMMARY:{summary}\r\n{(due is null ? string.Empty : $"DUE:{due}\r\n")}STATUS:{status}\r\n{extra}END:VTODO\r\n");

    private static string Event(string uid, string summary, string start, string end, string extra = "", string dtstamp = "20261101T000000Z") =>
        Calendar($"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{dtstamp}\r\nSUMMARY:{summary}\r\nDTSTART:{start}\r\nDTEND:{end}\r\n{extra}END:VEVENT\r\n");

    /// <summary>
    /// The same component with its properties in reverse order (a serialisation change only). Radicale stores its own
    /// serialisation (vobject, properties sorted), so on the server only the DTSTAMP of such a rewrite shows.
    /// </summary>
    private static string Reordered(string ics)
    {
        var lines = ics.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var begin = Array.FindIndex(lines, l => l is "BEGIN:VTODO" or "BEGIN:VEVENT");
        var end = Array.FindIndex(lines, l => l is "END:VTODO" or "END:VEVENT");
        string[] reordered = [.. lines[..(begin + 1)], .. lines[(begin + 1)..end].Reverse(), .. lines[end..]];
        return string.Join("\r\n", reordered) + "\r\n";
    }

    private async Task PutAsync(Uri collection, string name, string ics)
    {
        using var response = await server.SendAsync(HttpMethod.Put, new Uri(collection, name + ".ics"), ics);
        Assert.That(response.IsSuccessStatusCode, Is.True, $"PUT {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task DeleteAsync(Uri collection, string name)
    {
        using var response = await server.SendAsync(HttpMethod.Delete, new Uri(collection, name + ".ics"));
        Assert.That(response.IsSuccessStatusCode, Is.True, $"DELETE {name}: {(int)response.StatusCode}");
    }

    private async Task<string?> ETagAsync(Uri collection, string name)
    {
        using var response = await server.SendAsync(HttpMethod.Get, new Uri(collection, name + ".ics"));
        return response.Headers.ETag?.Tag;
    }

    /// <summary>What the server holds now, read with a calendar-query REPORT (RFC 4791 §7.8) independent of the service.</summary>
    private async Task<List<ServerItem>> ServerItemsAsync(Uri collection)
    {
        const string Query = """
            <?xml version="1.0" encoding="utf-8"?>
            <C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
              <D:prop><C:calendar-data/></D:prop>
              <C:filter><C:comp-filter name="VCALENDAR"/></C:filter>
            </C:calendar-query>
            """;
        using var response = await server.SendAsync(Report, collection, configure: r =>
        {
            r.Content = new StringContent(Query, Encoding.UTF8, "application/xml");
            r.Headers.Add("Depth", "1");
        });
        Assert.That((int)response.StatusCode, Is.EqualTo(207), await response.Content.ReadAsStringAsync());
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. xml.Descendants(XName.Get("calendar-data", "urn:ietf:params:xml:ns:caldav")).SelectMany(d => ServerItem.Read(d.Value))];
    }

    private sealed record ServerItem(string Kind, string Uid, string? Summary, string? Status, DateTimeOffset? Start, DateTimeOffset? End, DateTimeOffset? Due, string? Location)
    {
        /// <summary>Reads the simple objects these tests write (UTC times, no escaping), after unfolding (RFC 5545 §3.1).</summary>
        public static IEnumerable<ServerItem> Read(string ics)
        {
            var lines = ics.Replace("\r\n ", string.Empty).Replace("\n ", string.Empty).Split('\n').Select(l => l.TrimEnd('\r'));
            Dictionary<string, string>? props = null;
            string? kind = null;
            foreach (var line in lines)
            {
                if (line is "BEGIN:VTODO" or "BEGIN:VEVENT")
                {
                    kind = line[6..];
                    props = new Dictionary<string, string>(StringComparer.Ordinal);
                }
                else if (props is not null && line == "END:" + kind)
                {
                    yield return new ServerItem(kind!, props["UID"], props.GetValueOrDefault("SUMMARY"), props.GetValueOrDefault("STATUS"), Time(props, "DTSTART"), Time(props, "DTEND"), Time(props, "DUE"), props.GetValueOrDefault("LOCATION"));
                    props = null;
                }
                else if (props is not null && line.IndexOf(':') is > 0 and var colon)
                {
                    var name = line[..colon].Split(';')[0];
                    props.TryAdd(name, line[(colon + 1)..]);
                }
            }
        }

        private static DateTimeOffset? Time(Dictionary<string, string> props, string name) =>
            props.TryGetValue(name, out var v) ? DateTimeOffset.ParseExact(v, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null;
    }

    /// <summary>Records the service's CalDAV requests (method and body) that Radicale answered.</summary>
    private sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        private readonly Lock gate = new();
        private readonly List<(string Method, string Body)> requests = [];

        public List<string> Methods
        {
            get
            {
                lock (gate)
                {
                    return [.. requests.Select(r => r.Method)];
                }
            }
        }

        /// <summary>The sync-token of every sync-collection REPORT, in order (empty: an initial sync).</summary>
        public List<string> SyncTokens => Bodies("sync-collection").Select(b => XDocument.Parse(b).Descendants(XName.Get("sync-token", "DAV:")).Single().Value).ToList();

        /// <summary>The hrefs of every calendar-multiget REPORT.</summary>
        public List<List<string>> MultigetHrefs => Bodies("calendar-multiget").Select(b => XDocument.Parse(b).Descendants(XName.Get("href", "DAV:")).Select(h => h.Value).ToList()).ToList();

        public void Clear()
        {
            lock (gate)
            {
                requests.Clear();
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
            var response = await base.SendAsync(request, cancellationToken);

            // Recorded once answered: a request sent on a connection Radicale had already closed never reached it,
            // and CalDavClient sends it once more.
            lock (gate)
            {
                requests.Add((request.Method.Method, body));
            }

            return response;
        }

        private List<string> Bodies(string report)
        {
            lock (gate)
            {
                return [.. requests.Where(r => r.Method == "REPORT" && r.Body.Contains(report, StringComparison.Ordinal)).Select(r => r.Body)];
            }
        }
    }
}
