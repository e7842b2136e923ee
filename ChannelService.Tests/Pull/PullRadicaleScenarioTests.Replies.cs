using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Calendars;
using ChannelService.Tests.Support;

namespace ChannelService.Tests.Pull;

/// <summary>
/// Agents' replies written back through <c>/channelback</c> and read again by the next pulls: the reply is already a
/// comment on the ticket, so finding it in the source (a tagged COMMENT, a marked block in DESCRIPTION) must add
/// nothing, while what other people change around it is still reported, once.
/// </summary>
public sealed partial class PullRadicaleScenarioTests
{
    private const string Printer = "DESCRIPTION:Printer on floor 2.\\nCheck the tray.\r\n";

    [Test]
    public async Task A_Reply_Comes_Back_As_Nothing_New_With_Or_Without_A_Description_Before_And_Twice_In_A_Row()
    {
        var collection = await server.CreateCollectionAsync(components: ["VTODO"]);
        await PutAsync(collection, "t-bare", Todo("t-bare", "Toner"));
        await PutAsync(collection, "t-desc", Todo("t-desc", "Printer", extra: Printer));
        var metadata = Metadata("caldav-tasks", collection);
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        await ReplyAsync(metadata, zendesk, "t-bare", "zd-req-0001", "We replaced the toner, please confirm.");
        await ReplyAsync(metadata, zendesk, "t-desc", "zd-req-0002", "We replaced the toner, please confirm.");
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);

        var bare = await ServerItemAsync(collection, "t-bare");
        var described = await ServerItemAsync(collection, "t-desc");
        Assert.Multiple(() =>
        {
            Assert.That(bare.Description, Is.EqualTo("--- Reply from Zendesk (zd-req-0001) ---\nWe replaced the toner, please confirm.\n--- End of reply ---"), "written as a block");
            Assert.That(described.Description, Is.EqualTo("Printer on floor 2.\nCheck the tray.\n\n--- Reply from Zendesk (zd-req-0002) ---\nWe replaced the toner, please confirm.\n--- End of reply ---"));
            Assert.That(bare.Comments.Select(c => c.Text), Is.EqualTo(new[] { "We replaced the toner, please confirm." }), "and as a comment");
            Assert.That(zendesk.Tickets.Values.SelectMany(t => t.Comments), Is.Empty, "nothing new on either ticket");
            Assert.That(zendesk.Duplicates, Is.EqualTo(2), "the echoes of the two comments, dropped by Zendesk");
        });

        await ReplyAsync(metadata, zendesk, "t-bare", "zd-req-0003", "Second reply.");
        await ReplyAsync(metadata, zendesk, "t-desc", "zd-req-0004", "Second reply.\nOn two lines.");
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);

        Assert.That(zendesk.Tickets.Values.SelectMany(t => t.Comments), Is.Empty, "a second reply in a row adds nothing either");
        Assert.That(zendesk.Duplicates, Is.EqualTo(4));

        // Someone edits the description around the replies: that is reported once, without the replies.
        var edited = Todo("t-desc", "Printer", extra: "DESCRIPTION:" + IcalText.Escape((await ServerItemAsync(collection, "t-desc")).Description!.Replace("floor 2", "floor 3", StringComparison.Ordinal)) + "\r\n");
        await PutAsync(collection, "t-desc", edited);
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);
        await DrainAsync(metadata, zendesk);

        Assert.That(TicketOf(zendesk, "t-desc").Comments, Is.EqualTo(new[] { "Description changed: Printer on floor 3. Check the tray." }));
        Assert.That(TicketOf(zendesk, "t-bare").Comments, Is.Empty);
    }

    [Test]
    public async Task A_Description_Edited_By_Someone_Else_While_A_Reply_Is_Written_Is_Reported_Once_And_The_Reply_Is_Not()
    {
        var collection = await server.CreateCollectionAsync(components: ["VTODO"]);
        await PutAsync(collection, "t1", Todo("t1", "Printer", extra: Printer));
        var metadata = Metadata("caldav-tasks", collection);
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        var race = new EditBeforeFirstPutHandler(() => PutAsync(collection, "t1", Todo("t1", "Printer", extra: "DESCRIPTION:Printer on floor 3.\r\n")));
        interposed = race;

        await ReplyAsync(metadata, zendesk, "t1", "zd-req-0001", "We replaced the toner, please confirm.");
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);
        await DrainAsync(metadata, zendesk);

        var held = await ServerItemAsync(collection, "t1");
        Assert.Multiple(() =>
        {
            Assert.That(race.Puts, Is.EqualTo(2), "the reply met the other client's edit (412) and was applied again on top of it");
            Assert.That(held.Description, Is.EqualTo("Printer on floor 3.\n\n--- Reply from Zendesk (zd-req-0001) ---\nWe replaced the toner, please confirm.\n--- End of reply ---"));
            Assert.That(TicketOf(zendesk, "t1").Comments, Is.EqualTo(new[] { "Description changed: Printer on floor 3." }), "their edit, once; our block, never");
            Assert.That(zendesk.Duplicates, Is.EqualTo(1), "the comment's echo");
        });
    }

    /// <param name="echoes">Echoes per reply: the tagged COMMENT comes back under the reply's id (Zendesk drops it).</param>
    /// <param name="nextOrdinal">
    /// The transition number of the next real change: a reply only in DESCRIPTION is no transition at all, a COMMENT
    /// is one that carries nothing but its echo.
    /// </param>
    [TestCase("description", 0, 1)]
    [TestCase("comment", 1, 2)]
    public async Task A_Reply_Written_Only_To_The_Description_Or_Only_As_A_Comment_Comes_Back_As_Nothing_New(string target, int echoes, int nextOrdinal)
    {
        var collection = await server.CreateCollectionAsync(components: ["VTODO"]);
        await PutAsync(collection, "t1", Todo("t1", "Printer", extra: Printer));
        await PutAsync(collection, "t2", Todo("t2", "Toner"));
        var metadata = Metadata("caldav-tasks", collection, "reply_target=" + target);
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        await ReplyAsync(metadata, zendesk, "t1", "zd-req-0001", "Done.");
        await ReplyAsync(metadata, zendesk, "t2", "zd-req-0002", "Done.");
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);

        var held = await ServerItemAsync(collection, "t1");
        Assert.Multiple(() =>
        {
            Assert.That(held.Description!.Contains("zd-req-0001", StringComparison.Ordinal), Is.EqualTo(target == "description"));
            Assert.That(held.Comments, Has.Count.EqualTo(target == "comment" ? 1 : 0));
            Assert.That(zendesk.Tickets.Values.SelectMany(t => t.Comments), Is.Empty);
            Assert.That(zendesk.Duplicates, Is.EqualTo(2 * echoes));
        });

        await PutAsync(collection, "t1", Todo("t1", "Printer", extra: "DESCRIPTION:" + IcalText.Escape(held.Description!) + "\r\nPRIORITY:1\r\n"));
        clock.Advance(TimeSpan.FromMinutes(2));
        var sent = new List<JsonNode>();
        await DrainAsync(metadata, zendesk, seen: sent);

        var thread = TicketOf(zendesk, "t1").ThreadId;
        Assert.That(sent.Select(r => (string)r["external_id"]!), Has.Exactly(1).StartsWith(thread + $"-c{nextOrdinal}-"));
        Assert.That(TicketOf(zendesk, "t1").Comments, Is.EqualTo(new[] { "Priority changed from none to high (1)" }));
    }

    [Test]
    public async Task A_Reply_Block_That_Another_Client_Stores_With_Other_Spacing_Is_Still_No_Change()
    {
        var collection = await server.CreateCollectionAsync(components: ["VTODO"]);
        await PutAsync(collection, "t1", Todo("t1", "Printer", extra: Printer));
        var metadata = Metadata("caldav-tasks", collection, "reply_target=description");
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        await ReplyAsync(metadata, zendesk, "t1", "zd-req-0001", "Done.");
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);

        // As a client that re-wraps text stores it again: padded lines, the blank line before the block gone.
        await PutAsync(collection, "t1", Todo("t1", "Printer", extra:
            "DESCRIPTION:Printer on floor 2.  \\nCheck the tray. \\n --- Reply from Zendesk (zd-req-0001) ---  \\nDone. \\n---  End of reply  --- \\n\r\n"));
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);

        Assert.That(TicketOf(zendesk, "t1").Comments, Is.Empty);
    }

    [Test]
    public async Task A_Reply_To_An_Event_And_To_One_Occurrence_Comes_Back_As_Nothing_New_On_Any_Ticket()
    {
        var collection = await server.CreateCollectionAsync(components: ["VEVENT"]);
        await PutAsync(collection, "e1", Event("e1", "Review", "20261124T090000Z", "20261124T100000Z", "DESCRIPTION:Agenda: budget.\r\n"));
        await PutAsync(collection, "daily", Event("daily", "Support stand-up", "20261123T090000Z", "20261123T091500Z", "RRULE:FREQ=DAILY;COUNT=3\r\n"));
        var metadata = Metadata("caldav-calendar", collection);
        var zendesk = new FakeZendesk();
        var openings = new List<JsonNode>();
        await DrainAsync(metadata, zendesk, seen: openings);
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(4));
        var tuesday = (string)openings.Single(r => (string?)r["display_info"]![0]!["data"]!["occurrence_date"] == "2026-11-24")["thread_id"]!;

        await ReplyAsync(metadata, zendesk, "e1", "zd-req-0001", "Budget slides attached.");
        await ReplyAsync(metadata, zendesk, zendesk.Tickets[tuesday], "zd-req-0002", "Room changed to 4.");
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);

        var series = await ServerItemAsync(collection, "daily");
        Assert.Multiple(() =>
        {
            Assert.That(series.Description, Does.Contain("Room changed to 4."), "an occurrence's reply is written on its series");
            Assert.That(zendesk.Tickets.Values.SelectMany(t => t.Comments), Is.Empty, "not on the replied tickets, nor on the other occurrences");
        });
    }

    // ------------------------------------------------------------ reply helpers

    /// <summary>An agent's reply on the ticket of <paramref name="uid"/>, through <c>/channelback</c> as Zendesk sends it.</summary>
    private Task ReplyAsync(string metadata, FakeZendesk zendesk, string uid, string requestId, string text) =>
        ReplyAsync(metadata, zendesk, TicketOf(zendesk, uid), requestId, text);

    private async Task ReplyAsync(string metadata, FakeZendesk zendesk, FakeZendesk.Ticket ticket, string requestId, string text)
    {
        using var response = await client.PostAsync("/channelback", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["metadata"] = metadata,
            ["message"] = text,
            ["thread_id"] = ticket.ThreadId,
            ["parent_id"] = ticket.ThreadId + "-o",
            ["request_unique_identifier"] = requestId,
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        zendesk.Replied(ticket.ThreadId, (string)JsonNode.Parse(body)!["external_id"]!, text);
    }

    /// <summary>The first event or task of one object as the server holds it, read with the service's own parser.</summary>
    private async Task<CalendarItem> ServerItemAsync(Uri collection, string name)
    {
        using var response = await server.SendAsync(HttpMethod.Get, new Uri(collection, name + ".ics"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var parse = IcalReader.Parse(Encoding.UTF8.GetBytes(await response.Content.ReadAsStringAsync()));
        return CalendarItemReader.ReadAll(parse.Roots)[0];
    }
}
