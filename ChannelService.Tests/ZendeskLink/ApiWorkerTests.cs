using System.Text.Json.Nodes;
using ChannelService.Calendars;
using ChannelService.Tickets;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Tickets;
using ChannelService.ZendeskLink.Work;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>
/// The Zendesk link's API worker against a fake Zendesk REST API over real HTTP: which ticket it edits (confirmed, never
/// just named by an unsigned event), how it behaves (429, 5xx, a revoked token, update_many within the rate limit),
/// and that queued work survives a crashed worker and is applied once.
/// </summary>
public sealed class ApiWorkerTests
{
    private static TicketIntent Task(string unitKey, string priority = "high", string? requester = "alice@example.com") => new()
    {
        ThreadId = LinkTestHost.ThreadId(unitKey),
        Kind = CalendarItemKind.Task,
        DueAt = DateTimeOffset.UtcNow.AddDays(3).Date,
        Priority = priority,
        Tags = ["billing"],
        Requester = requester is null ? null : new TicketRequester(requester, "Alice Example"),
    };

    [Test]
    public async Task A_Ticket_Named_By_An_Event_Is_Confirmed_Through_The_Api_Before_It_Is_Changed()
    {
        await using var host = LinkTestHost.Start();
        var unit = LinkTestHost.UnitKey(1);
        host.Api.CreateTicket(101, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
        await host.EnqueueAsync((unit, Task(unit)));
        await host.LinkAsync(unit, 101);

        await host.RunWorkerAsync();

        var ticket = host.Api.Ticket(101)!;
        Assert.That((string?)ticket["type"], Is.EqualTo("task"));
        Assert.That((string?)ticket["priority"], Is.EqualTo("high"));
        Assert.That(ticket["tags"]!.AsArray().Select(t => (string)t!), Is.EquivalentTo(new[] { "billing" }));
        var requester = host.Api.User((long)ticket["requester_id"]!)!;
        Assert.That((string?)requester["email"], Is.EqualTo("alice@example.com"));
        Assert.That((string?)requester["name"], Is.EqualTo("Alice Example"));
        Assert.That(host.Api.Calls.Count(c => c.Path == "/api/v2/tickets/show_many"), Is.EqualTo(1), "confirmed once");
        Assert.That(host.Updates(101), Has.Count.EqualTo(1));
        Assert.That(host.Api.Calls.All(c => c.Authorization == "Bearer access-token-1"), Is.True);
    }

    [Test]
    public async Task An_Events_Start_Date_Field_Is_Set_Once_And_Moved_Through_The_Queue_When_The_Event_Moves()
    {
        await using var host = LinkTestHost.Start();
        var unit = LinkTestHost.UnitKey(7);
        host.Api.CreateTicket(107, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
        var start = DateTimeOffset.UtcNow.AddDays(5);
        var meeting = new TicketIntent { ThreadId = LinkTestHost.ThreadId(unit), Kind = CalendarItemKind.Event, Start = start, End = start.AddHours(1), StartDateField = 360000000042, StartDate = "2031-05-06" };
        await host.EnqueueAsync((unit, meeting));
        await host.LinkAsync(unit, 107);

        await host.RunWorkerAsync();

        Assert.That(host.Api.Ticket(107)!["custom_fields"]!.ToJsonString(), Is.EqualTo("""[{"id":360000000042,"value":"2031-05-06"}]"""));

        // An agent sets another date; the next pull re-queues the event unchanged: the agent's date stays.
        host.Api.AgentSets(107, "custom_fields", JsonNode.Parse("""[{"id":360000000042,"value":"2031-05-01"}]"""));
        await host.EnqueueAsync((unit, meeting));
        await host.RunWorkerAsync();
        Assert.That(host.Api.Ticket(107)!["custom_fields"]!.ToJsonString(), Does.Contain("2031-05-01"));

        // The event moves two days later: the date field moves with it (and the schema accepted every body).
        await host.EnqueueAsync((unit, meeting with { Start = start.AddDays(2), End = start.AddDays(2).AddHours(1), StartDate = "2031-05-08" }));
        await host.RunWorkerAsync();

        Assert.That(host.Api.Ticket(107)!["custom_fields"]!.ToJsonString(), Is.EqualTo("""[{"id":360000000042,"value":"2031-05-08"}]"""));
        Assert.That(host.Updates(107).Count(u => u.Body.Contains("custom_fields", StringComparison.Ordinal)), Is.EqualTo(2));
    }

    [Test]
    public async Task A_Forged_Event_Does_Not_Make_The_Service_Edit_Somebody_Elses_Ticket()
    {
        await using var host = LinkTestHost.Start();
        var unit = LinkTestHost.UnitKey(2);
        host.Api.CreateTicket(555, "someone-elses-ticket", via: "mail");
        host.Api.CreateTicket(556, ExternalIds.Opening(LinkTestHost.ThreadId(LinkTestHost.UnitKey(99))));
        host.Api.CreateTicket(102, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
        await host.EnqueueAsync((unit, Task(unit)));

        // An unsigned event names another ticket for our thread: first a stranger's, then another item's of ours.
        await host.LinkAsync(unit, 555);
        await host.RunWorkerAsync(maxPasses: 1);
        await host.LinkAsync(unit, 556);
        await host.Services.GetRequiredService<ApiWorkStore>().BringForwardAsync(LinkTestHost.AccountId, unit, DateTimeOffset.UtcNow);
        await host.RunWorkerAsync(maxPasses: 1);

        Assert.That(host.Updates(555), Is.Empty);
        Assert.That(host.Updates(556), Is.Empty);
        Assert.That((string?)host.Api.Ticket(555)!["priority"], Is.Null);

        // The real ticket was found by its opening's external_id instead, and is the one changed.
        Assert.That(host.Updates(102), Has.Count.EqualTo(1));
        Assert.That((string?)host.Api.Ticket(102)!["priority"], Is.EqualTo("high"));
        var errors = await host.Services.GetRequiredService<ServiceErrors>().RecentAsync(10);
        Assert.That(errors.Select(e => e.Message), Has.Some.Contains("Ticket 555 was named"));
    }

    [Test]
    public async Task A_Missed_Creation_Event_Is_Recovered_By_Search_Once_The_Index_Has_The_Ticket()
    {
        await using var host = LinkTestHost.Start();
        var unit = LinkTestHost.UnitKey(3);
        host.Api.CreateTicket(103, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
        host.Api.SearchIndexed = false;
        await host.EnqueueAsync((unit, Task(unit)));

        await host.RunWorkerAsync(maxPasses: 1);
        var waiting = await host.QueuedAsync(unit);
        Assert.That(waiting?.LastError, Does.Contain("not found yet"));
        Assert.That(waiting!.Value.DueAt, Is.GreaterThan(DateTimeOffset.UtcNow), "searched again later, not in a loop");
        Assert.That(host.Updates(103), Is.Empty);

        host.Api.SearchIndexed = true;
        await host.Services.GetRequiredService<ApiWorkStore>().BringForwardAsync(LinkTestHost.AccountId, unit, DateTimeOffset.UtcNow);
        await host.RunWorkerAsync();

        Assert.That((string?)host.Api.Ticket(103)!["type"], Is.EqualTo("task"));
        Assert.That(await host.Services.GetRequiredService<ChannelService.Events.TicketLinkStore>().TicketForAsync(LinkTestHost.ThreadId(unit)), Is.EqualTo(103));
        var kept = await host.QueuedAsync(unit);
        Assert.That(kept, Is.Not.Null, "kept for the due date ahead (task_overdue)");
        Assert.That(kept!.Value.LastError, Is.Null);
    }

    [Test]
    public async Task A_Creation_Event_That_Lands_While_The_Worker_Holds_The_Row_Is_Not_Put_Off_Until_The_Search()
    {
        // Arrange: production timing (wait two minutes for the event before searching)
        await using var host = LinkTestHost.Start(work: o => o.SearchAfter = TimeSpan.FromMinutes(2));
        var unit = LinkTestHost.UnitKey(4);
        host.Api.CreateTicket(104, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
        await host.EnqueueAsync((unit, Task(unit)));
        var store = host.Services.GetRequiredService<ApiWorkStore>();

        // Act: the worker's pass right after the pull claims the row; resources_created_from_external_ids lands
        // (the handler links the ticket and brings the work forward); the pass then puts the row off as it found no
        // ticket when it looked (ApiWorker: CreatedAt + SearchAfter).
        var now = DateTimeOffset.UtcNow;
        var claimed = (await store.ClaimAsync(host.Worker.Owner, now, now.AddMinutes(5), 10)).Single();
        await host.LinkAsync(unit, 104);
        var broughtForward = await store.BringForwardAsync(LinkTestHost.AccountId, unit, DateTimeOffset.UtcNow);
        await store.RescheduleAsync(claimed, host.Worker.Owner, claimed.CreatedAt + TimeSpan.FromMinutes(2), DateTimeOffset.UtcNow, null, succeeded: false);
        var queued = await host.QueuedAsync(unit);
        await host.RunWorkerAsync();

        // Assert: due at once, applied in the next pass without any search
        Assert.That(broughtForward, Is.True);
        Assert.That(queued!.Value.DueAt, Is.LessThanOrEqualTo(DateTimeOffset.UtcNow), "not two minutes later");
        Assert.That((string?)host.Api.Ticket(104)!["type"], Is.EqualTo("task"));
        Assert.That(host.Updates(104), Has.Count.EqualTo(1));
        Assert.That(host.Api.Calls.Where(c => c.Path == "/api/v2/search"), Is.Empty, "the ticket was not searched for");
    }

    [Test]
    public async Task A_Creation_Event_After_The_Pass_Put_The_Row_Off_Makes_It_Due_At_Once()
    {
        await using var host = LinkTestHost.Start(work: o => o.SearchAfter = TimeSpan.FromMinutes(2));
        var unit = LinkTestHost.UnitKey(5);
        host.Api.CreateTicket(105, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
        await host.EnqueueAsync((unit, Task(unit)));
        await host.RunWorkerAsync();
        var waiting = await host.QueuedAsync(unit);

        await host.LinkAsync(unit, 105);
        await host.Services.GetRequiredService<ApiWorkStore>().BringForwardAsync(LinkTestHost.AccountId, unit, DateTimeOffset.UtcNow);
        await host.RunWorkerAsync();

        Assert.That(waiting!.Value.DueAt, Is.GreaterThan(DateTimeOffset.UtcNow.AddSeconds(90)), "waiting for the event");
        Assert.That((string?)host.Api.Ticket(105)!["type"], Is.EqualTo("task"));
    }

    [Test]
    public async Task Rate_Limits_Are_Waited_Out_As_Retry_After_Asks_And_Server_Errors_Retried_With_Backoff()
    {
        await using var host = LinkTestHost.Start();
        var unit = LinkTestHost.UnitKey(4);
        host.Api.CreateTicket(104, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
        await host.EnqueueAsync((unit, Task(unit, requester: null)));
        await host.LinkAsync(unit, 104);
        host.Api.RateLimitNext = 1;
        host.Api.RetryAfterSeconds = 1;

        await host.RunWorkerAsync();

        var calls = host.Api.Calls;
        var limited = calls.Single(c => c.Status == 429);
        var next = calls[calls.ToList().IndexOf(limited) + 1];
        Assert.That(next.At - limited.At, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(950)), "Retry-After: 1");
        Assert.That((string?)host.Api.Ticket(104)!["priority"], Is.EqualTo("high"));

        // 5xx: repeated after a back-off; when it persists the work stays queued with the error.
        var other = LinkTestHost.UnitKey(5);
        host.Api.CreateTicket(105, ExternalIds.Opening(LinkTestHost.ThreadId(other)));
        await host.EnqueueAsync((other, Task(other, requester: null)));
        await host.LinkAsync(other, 105);
        host.Api.FailNext = 2;
        await host.RunWorkerAsync(maxPasses: 1);
        Assert.That((string?)host.Api.Ticket(105)!["priority"], Is.EqualTo("high"), "two 500s, then it went through");

        var third = LinkTestHost.UnitKey(6);
        host.Api.CreateTicket(106, ExternalIds.Opening(LinkTestHost.ThreadId(third)));
        await host.EnqueueAsync((third, Task(third, requester: null)));
        await host.LinkAsync(third, 106);
        host.Api.FailNext = 100;
        await host.RunWorkerAsync(maxPasses: 1);
        var kept = await host.QueuedAsync(third);
        Assert.That(kept?.LastError, Does.Contain("500"));
        Assert.That(kept!.Value.DueAt, Is.GreaterThan(DateTimeOffset.UtcNow));
        Assert.That(host.Api.Calls.Count(c => c.Status == 500), Is.EqualTo(2 + 3), "at most three tries per call");
    }

    [Test]
    public async Task A_Requester_That_Is_Not_An_Address_Is_Never_Sent_And_Shown_On_The_Dashboard_Once()
    {
        await using var host = LinkTestHost.Start();
        var unit = LinkTestHost.UnitKey(10);
        host.Api.CreateTicket(110, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
        await host.LinkAsync(unit, 110);
        var intent = Task(unit, requester: null) with { RequesterWarning = "The item's requester 'bob at example' is not an e-mail address; it was not sent to Zendesk." };
        await host.EnqueueAsync((unit, intent));
        await host.RunWorkerAsync();

        // The item changes (priority), the bad address stays: no second warning.
        await host.EnqueueAsync((unit, intent with { Priority = "low" }));
        await host.RunWorkerAsync();

        Assert.That(host.Api.Calls.Where(c => c.Path.StartsWith("/api/v2/users", StringComparison.Ordinal)), Is.Empty);
        Assert.That(host.Api.Calls.Select(c => c.Body), Has.None.Contains("bob"));
        Assert.That((long?)host.Api.Ticket(110)!["requester_id"], Is.EqualTo(1), "the channel's requester stays");
        var errors = await host.Services.GetRequiredService<ServiceErrors>().RecentAsync(10);
        Assert.That(errors.Count(e => e.Message.Contains("not an e-mail address", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public async Task A_Long_Retry_After_Keeps_The_Work_For_Later()
    {
        await using var host = LinkTestHost.Start();
        var unit = LinkTestHost.UnitKey(7);
        host.Api.CreateTicket(107, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
        await host.EnqueueAsync((unit, Task(unit, requester: null)));
        await host.LinkAsync(unit, 107);
        host.Api.RateLimitNext = 1;
        host.Api.RetryAfterSeconds = 120;

        await host.RunWorkerAsync(maxPasses: 1);

        var kept = await host.QueuedAsync(unit);
        Assert.That(kept!.Value.DueAt, Is.GreaterThan(DateTimeOffset.UtcNow.AddSeconds(100)));
        Assert.That(host.Api.Calls, Has.Count.EqualTo(1), "nothing more was sent to the rate-limited subdomain");
    }

    [Test]
    public async Task A_Revoked_Token_Is_Reported_To_The_Link_And_The_Work_Kept()
    {
        await using var host = LinkTestHost.Start();
        var unit = LinkTestHost.UnitKey(8);
        host.Api.CreateTicket(108, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
        await host.EnqueueAsync((unit, Task(unit, requester: null)));
        await host.LinkAsync(unit, 108);
        host.Api.ValidTokens["access-token-1"] = false;
        host.Tokens.OnRejected = t => t.Token = null;

        await host.RunWorkerAsync(maxPasses: 1);

        Assert.That(host.Tokens.Rejected.Select(r => r.Token), Is.EqualTo(new[] { "access-token-1" }));
        Assert.That(await host.QueuedAsync(unit), Is.Not.Null);
        Assert.That((string?)host.Api.Ticket(108)!["priority"], Is.Null);

        // Reconnected: the link says so, and the kept work goes out.
        host.Tokens.Token = "access-token-2";
        host.Api.ValidTokens["access-token-2"] = true;
        await host.Worker.LinkedAsync(LinkTestHost.Subdomain, CancellationToken.None);
        await host.RunWorkerAsync();
        Assert.That((string?)host.Api.Ticket(108)!["priority"], Is.EqualTo("high"));
    }

    [Test]
    public async Task A_Thousand_Changed_Items_Go_Out_In_Update_Many_Jobs_Within_The_Rate_Limit()
    {
        const int PerMinute = 1200;
        await using var host = LinkTestHost.Start(PerMinute, o => o.BatchSize = 1000);
        var items = Enumerable.Range(1000, 1000).Select(n => (Unit: LinkTestHost.UnitKey(n), Ticket: 10_000L + n)).ToList();
        foreach (var (unit, ticket) in items)
        {
            host.Api.CreateTicket(ticket, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
            await host.LinkAsync(unit, ticket);
        }

        await host.EnqueueAsync([.. items.Select(i => (i.Unit, Task(i.Unit)))]);

        await host.RunWorkerAsync();

        var calls = host.Api.Calls;
        var batches = calls.Where(c => c.Path == "/api/v2/tickets/update_many").Select(c => JsonNode.Parse(c.Body)!["tickets"]!.AsArray()).ToList();
        Assert.That(batches, Has.Count.EqualTo(10));
        Assert.That(batches.All(b => b.Count <= 100), Is.True);
        Assert.That(batches.SelectMany(b => b.Select(t => (long)t!["id"]!)).Distinct().Count(), Is.EqualTo(1000));
        Assert.That(calls.Count(c => c.Method == "PUT" && c.Path.StartsWith("/api/v2/tickets/1", StringComparison.Ordinal)), Is.Zero, "no single updates");
        Assert.That(items.All(i => (string?)host.Api.Ticket(i.Ticket)!["priority"] == "high"), Is.True);
        Assert.That(calls.Count(c => c.Path == "/api/v2/users/create_or_update"), Is.EqualTo(1), "one requester, resolved once");

        // Evenly spaced (one request every 50 ms at 1,200 a minute), so no second, and no minute, holds more than the
        // limit's share; arrival times jitter by a few milliseconds, hence one request of slack per window.
        var times = calls.Select(c => c.At).OrderBy(t => t).ToList();
        var busiest = times.Max(start => times.Count(t => t >= start && t < start.AddSeconds(1)));
        Assert.That(busiest, Is.LessThanOrEqualTo((PerMinute / 60) + 1));
        Assert.That(times[^1] - times[0], Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(50 * (times.Count - 1) * 0.9)));
    }

    [Test]
    public async Task Work_Claimed_By_A_Worker_That_Crashed_Is_Taken_Over_After_Its_Lease_And_Applied_Once()
    {
        await using var host = LinkTestHost.Start();
        var unit = LinkTestHost.UnitKey(9);
        host.Api.CreateTicket(109, ExternalIds.Opening(LinkTestHost.ThreadId(unit)));
        await host.EnqueueAsync((unit, Task(unit, requester: null)));
        await host.LinkAsync(unit, 109);
        var store = host.Services.GetRequiredService<ApiWorkStore>();

        // Another instance claims the row and dies before it applies it.
        var now = DateTimeOffset.UtcNow;
        var claimed = await store.ClaimAsync("crashed-instance", now, now.AddSeconds(1), 10);
        Assert.That(claimed, Has.Count.EqualTo(1));

        await host.RunWorkerAsync();
        Assert.That(host.Api.Calls, Is.Empty, "leased to someone else: not touched");

        await System.Threading.Tasks.Task.Delay(TimeSpan.FromMilliseconds(1200));
        await host.RunWorkerAsync();
        Assert.That(host.Updates(109), Has.Count.EqualTo(1));

        // The crashed instance comes back and finishes its stale claim: nothing happens twice.
        await store.CompleteAsync(claimed[0], "crashed-instance", DateTimeOffset.UtcNow);
        Assert.That(await host.QueuedAsync(unit), Is.Not.Null, "the row is the new owner's (kept for its due date)");

        // Two workers at once never apply one row twice.
        var units = Enumerable.Range(200, 20).Select(n => (Unit: LinkTestHost.UnitKey(n), Ticket: 2000L + n)).ToList();
        foreach (var (u, t) in units)
        {
            host.Api.CreateTicket(t, ExternalIds.Opening(LinkTestHost.ThreadId(u)));
            await host.LinkAsync(u, t);
        }

        await host.EnqueueAsync([.. units.Select(i => (i.Unit, Task(i.Unit, requester: null) with { DueAt = null }))]);
        var second = ActivatorUtilities.CreateInstance<ApiWorker>(host.Services);
        await System.Threading.Tasks.Task.WhenAll(host.Worker.RunOnceAsync(CancellationToken.None), second.RunOnceAsync(CancellationToken.None));
        Assert.That(units.Select(u => host.UpdatesIncludingBatches(u.Ticket)), Has.All.EqualTo(1));
    }
}
