using ChannelService.Sandbox;

namespace ChannelService.Tests.Sandbox;

public sealed class SandboxZendeskTests
{
    private static string Resource(string id, string message, string? thread = null, string? parent = null) =>
        "{\"external_id\":\"" + id + "\",\"message\":\"" + message + "\",\"created_at\":\"2026-11-22T04:00:00Z\",\"author\":{\"external_id\":\"a\",\"name\":\"Ann\"}"
        + (thread is null ? "" : ",\"thread_id\":\"" + thread + "\"")
        + (parent is null ? "" : ",\"parent_id\":\"" + parent + "\"") + "}";

    private static string Pull(string? state, params string[] resources) =>
        "{\"external_resources\":[" + string.Join(",", resources) + "]" + (state is null ? "" : ",\"state\":\"" + state + "\"") + "}";

    [Test]
    public void Items_With_The_Same_Thread_Id_Share_A_Ticket_And_Parent_Id_Joins_The_Parents_Ticket()
    {
        var account = new SandboxAccount("1");

        SandboxZendesk.ApplyPull(account, 200, Pull("s1", Resource("t1", "Buy milk", thread: "T1"), Resource("t1-c1", "Changed", thread: "T1"), Resource("e1", "Meeting"), Resource("e1-r", "Moved", parent: "e1")));

        Assert.That(account.Tickets.Select(t => (t.Subject, t.Comments.Count)), Is.EqualTo(new[] { ("Buy milk", 2), ("Meeting", 2) }));
    }

    [Test]
    public void An_External_Id_Seen_Before_Is_Not_Imported_Again()
    {
        var account = new SandboxAccount("1");
        SandboxZendesk.ApplyPull(account, 200, Pull("s1", Resource("t1", "Buy milk", thread: "T1")));

        var outcome = SandboxZendesk.ApplyPull(account, 200, Pull("s2", Resource("t1", "Buy milk", thread: "T1"), Resource("t2", "Call Bob", thread: "T2")));

        Assert.That(outcome.Summary, Does.Contain("1 imported").And.Contain("1 duplicate"));
        Assert.That(account.Tickets.Sum(t => t.Comments.Count), Is.EqualTo(2));
    }

    [Test]
    public void State_Changes_Only_On_A_Successful_Response_And_Is_Kept_When_Omitted()
    {
        var account = new SandboxAccount("1");
        SandboxZendesk.ApplyPull(account, 200, Pull("s1"));
        Assert.That(account.State, Is.EqualTo("s1"));

        SandboxZendesk.ApplyPull(account, 200, Pull(null));
        Assert.That(account.State, Is.EqualTo("s1"), "an omitted state keeps the previous one");

        var failed = SandboxZendesk.ApplyPull(account, 502, "{\"error\":\"The server could not be reached\",\"state\":\"s9\"}");
        Assert.That(failed.Ok, Is.False);
        Assert.That(failed.Summary, Does.Contain("HTTP 502: The server could not be reached"));
        Assert.That(account.State, Is.EqualTo("s1"));

        SandboxZendesk.ApplyPull(account, 200, "not json");
        Assert.That(account.State, Is.EqualTo("s1"));
    }

    [Test]
    public void Metadata_From_A_Pull_Replaces_The_Stored_One_And_Needs_Update_Is_Shown()
    {
        var account = new SandboxAccount("1") { Metadata = "old" };

        SandboxZendesk.ApplyPull(account, 200, "{\"external_resources\":[],\"metadata\":\"new\",\"metadata_needs_update\":true}");

        Assert.That((account.Metadata, account.NeedsAdminUpdate), Is.EqualTo(("new", true)));
    }

    [Test]
    public void Channelback_Adds_The_Agents_Comment_And_Its_Id_Is_Not_Imported_Later()
    {
        var account = new SandboxAccount("1");
        SandboxZendesk.ApplyPull(account, 200, Pull("s1", Resource("t1", "Buy milk", thread: "T1")));
        var ticket = account.Tickets[0];
        Assert.That(SandboxZendesk.ReplyParent(ticket)!.ExternalId, Is.EqualTo("t1"));

        var outcome = SandboxZendesk.ApplyChannelback(account, ticket, "On it", 200, "{\"external_id\":\"t1-reply-1\"}");
        SandboxZendesk.ApplyPull(account, 200, Pull("s2", Resource("t1-reply-1", "On it", thread: "T1")));

        Assert.That(outcome.Ok, Is.True);
        Assert.That(ticket.Comments.Select(c => (c.Message, c.FromAgent)), Is.EqualTo(new[] { ("Buy milk", false), ("On it", true) }));
    }

    [Test]
    public void Failed_Channelback_Adds_Nothing()
    {
        var account = new SandboxAccount("1");
        SandboxZendesk.ApplyPull(account, 200, Pull("s1", Resource("t1", "Buy milk")));

        var outcome = SandboxZendesk.ApplyChannelback(account, account.Tickets[0], "On it", 501, "{\"error\":\"/channelback is not implemented in this version of ChannelService.\"}");

        Assert.That(outcome.Ok, Is.False);
        Assert.That(account.Tickets[0].Comments, Has.Count.EqualTo(1));
    }

    [Test]
    public void Resources_Without_Id_Or_Message_Are_Counted_As_Invalid()
    {
        var account = new SandboxAccount("1");

        var outcome = SandboxZendesk.ApplyPull(account, 200, "{\"external_resources\":[{\"message\":\"no id\"},{\"external_id\":\"x\"}]}");

        Assert.That(outcome.Summary, Does.Contain("2 invalid"));
        Assert.That(account.Tickets, Is.Empty);
    }
}
