using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Tests.Support;
using ChannelService.Tickets;
using Microsoft.Extensions.DependencyInjection;
using static ChannelService.Tests.Events.ZendeskEventJson;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>
/// Issue 17 end to end: a task pulled from a feed, its ticket created (the event callback), and its native properties
/// set through the (fake) REST API once; then a moved DUE moves due_at, and an agent's own priority survives changes
/// of the item that leave its PRIORITY alone.
/// </summary>
public sealed class ZendeskLinkScenarioTests
{
    private static string Feed(string summary, LocalDue due) => string.Join("\r\n",
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        "BEGIN:VTODO",
        "UID:invoice-task@example.com",
        "DTSTAMP:20261101T090000Z",
        "SUMMARY:" + summary,
        "DUE;VALUE=DATE:" + due.Text,
        "PRIORITY:1",
        "CATEGORIES:Billing Run,Finance",
        "ORGANIZER;CN=Alice Example:mailto:alice@example.com",
        "STATUS:NEEDS-ACTION",
        "END:VTODO",
        "END:VCALENDAR",
        "");

    private sealed record LocalDue(DateOnly Date)
    {
        public string Text => Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
    }

    [Test]
    public async Task A_Pulled_Task_Becomes_A_Zendesk_Task_With_Due_Date_Priority_Tags_And_Requester_Set_Once()
    {
        await using var feed = await FeedServer.StartAsync();
        await using var host = LinkTestHost.Start(work: o => o.SearchAfter = TimeSpan.FromMinutes(10));
        using var client = host.Host.CreateClient();
        var due = new LocalDue(DateOnly.FromDateTime(DateTime.UtcNow).AddDays(5));
        feed.Body = Feed("Pay the invoices", due);
        var account = new NewAccountRequest("ics", feed.Url, null, null, "Tasks", [new("time_zone", "Europe/Berlin")]).Create(TimeProvider.System) with { Subdomain = "acme" };
        var metadata = host.Services.GetRequiredService<MetadataCodec>().Encode(account);

        // The pull answers at once: no API call happens inside it.
        var (opening, state) = await PullAsync(client, metadata, null);
        Assert.That(host.Api.Calls, Is.Empty);
        var externalId = (string)opening!["external_id"]!;
        Assert.That(ExternalIdShape.TryParse(externalId, out _, out var unitKey), Is.True);
        Assert.That(await QueuedAsync(host, account.AccountId, unitKey), Is.Not.Null, "queued by the pull");

        // Before Zendesk says which ticket holds it, the worker waits (no search yet, no call).
        await host.RunWorkerAsync();
        Assert.That(host.Api.Calls, Is.Empty);

        host.Api.CreateTicket(301, externalId);
        await PostEventAsync(client, externalId, 301);
        await host.RunWorkerAsync();

        var ticket = host.Api.Ticket(301)!;
        Assert.That((string?)ticket["type"], Is.EqualTo("task"));
        Assert.That((string?)ticket["priority"], Is.EqualTo("urgent"), "PRIORITY:1, RFC 5545's highest");
        Assert.That(DateTimeOffset.Parse((string)ticket["due_at"]!, CultureInfo.InvariantCulture), Is.EqualTo(EndOfDayInBerlin(due.Date)), "all-day DUE: the end of that day in the account's zone");
        Assert.That(ticket["tags"]!.AsArray().Select(t => (string)t!), Is.EquivalentTo(new[] { "billing_run", "finance" }));
        var requester = host.Api.User((long)ticket["requester_id"]!)!;
        Assert.That(((string?)requester["email"], (string?)requester["name"]), Is.EqualTo(("alice@example.com", "Alice Example")));
        Assert.That(host.Updates(301), Has.Count.EqualTo(1));

        // Nothing changed: nothing is sent again.
        (_, state) = await PullAsync(client, metadata, state);
        await host.RunWorkerAsync();
        Assert.That(host.Updates(301), Has.Count.EqualTo(1));

        // An agent lowers the priority; the item changes something else: the agent's priority stays.
        host.Api.AgentSets(301, "priority", "low");
        feed.Body = Feed("Pay the invoices (all of them)", due);
        (_, state) = await PullAsync(client, metadata, state);
        await host.RunWorkerAsync();
        Assert.That((string?)host.Api.Ticket(301)!["priority"], Is.EqualTo("low"));

        // DUE moves: due_at moves, and only due_at is sent.
        var moved = new LocalDue(due.Date.AddDays(2));
        feed.Body = Feed("Pay the invoices (all of them)", moved);
        (_, state) = await PullAsync(client, metadata, state);
        await host.RunWorkerAsync();
        var updates = host.Updates(301);
        Assert.That(updates, Has.Count.EqualTo(2));
        Assert.That(JsonNode.Parse(updates[^1].Body)!["ticket"]!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "due_at" }));
        ticket = host.Api.Ticket(301)!;
        Assert.That(DateTimeOffset.Parse((string)ticket["due_at"]!, CultureInfo.InvariantCulture), Is.EqualTo(EndOfDayInBerlin(moved.Date)));
        Assert.That((string?)ticket["priority"], Is.EqualTo("low"));

        // What stays queued is the time-driven change ahead: task_overdue once the DUE passes.
        var ahead = await QueuedAsync(host, account.AccountId, unitKey);
        Assert.That(ahead!.Value.DueAt, Is.EqualTo(EndOfDayInBerlin(moved.Date)));
    }

    private static DateTimeOffset EndOfDayInBerlin(DateOnly date)
    {
        var zone = NodaTime.DateTimeZoneProviders.Tzdb["Europe/Berlin"];
        return zone.AtLeniently(new NodaTime.LocalDateTime(date.Year, date.Month, date.Day, 23, 59, 59)).ToDateTimeOffset().ToUniversalTime();
    }

    private static Task<(DateTimeOffset DueAt, int Attempts, string? LastError)?> QueuedAsync(LinkTestHost host, string accountId, string unitKey) =>
        host.Services.GetRequiredService<ChannelService.ZendeskLink.Work.ApiWorkStore>().FindAsync(accountId, unitKey);

    private static async Task<(JsonNode? Opening, string State)> PullAsync(HttpClient client, string metadata, string? state)
    {
        var form = new Dictionary<string, string> { ["metadata"] = metadata };
        if (state is not null)
        {
            form["state"] = state;
        }

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        var body = JsonNode.Parse(text)!;
        var opening = body["external_resources"]!.AsArray().FirstOrDefault(r => ((string)r!["external_id"]!).EndsWith("-o", StringComparison.Ordinal));
        return (opening, (string)body["state"]!);
    }

    private static async Task PostEventAsync(HttpClient client, string externalId, long ticketId)
    {
        var e = Event("resources_created_from_external_ids", new JsonObject
        {
            ["request_id"] = "pull-1",
            ["resource_events"] = new JsonArray(new JsonObject { ["type_id"] = "comment_on_new_ticket", ["external_id"] = externalId, ["comment_id"] = 1, ["ticket_id"] = ticketId }),
        });
        ZendeskSchemas.AssertValid("event_callback_resources_created_from_external_ids.json", e.ToJsonString());
        var body = new JsonObject { ["events"] = new JsonArray(e) };
        using var response = await client.PostAsync("/events", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
