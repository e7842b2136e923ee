using ChannelService.Calendars;
using ChannelService.Tickets;
using ChannelService.ZendeskLink;
using ChannelService.ZendeskLink.Tickets;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>
/// The link's "last call" covers REST API calls too (time, method, endpoint template, status; the last error), kept in
/// memory and written to the link's row only when the outcome changes or at the periodic flush, never with a token.
/// </summary>
public sealed class ApiCallLogTests
{
    private static TicketIntent Task(string unitKey) => new()
    {
        ThreadId = LinkTestHost.ThreadId(unitKey),
        Kind = CalendarItemKind.Task,
        DueAt = DateTimeOffset.UtcNow.AddDays(3).Date,
        Priority = "high",
    };

    [Test]
    public async Task Api_Calls_Reach_The_Links_Last_Call_On_A_Change_Of_Outcome_And_At_The_Flush_Not_Once_Per_Call()
    {
        await using var host = LinkTestHost.Start();
        var store = host.Services.GetRequiredService<ZendeskLinkStore>();
        var log = host.Services.GetRequiredService<ZendeskApiCallLog>();
        var linkedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        await store.SaveAsync(LinkTestHost.Subdomain, ZendeskGrantKind.ClientCredentials, "client", "secret", new ZendeskTokenSet("access-token-1", null, null, null, "read"), linkedAt);

        // Four tickets, one PUT each after the show_many that confirms them: five calls, all answered 200.
        var units = Enumerable.Range(20, 4).Select(LinkTestHost.UnitKey).ToList();
        for (var i = 0; i < units.Count; i++)
        {
            host.Api.CreateTicket(200 + i, ExternalIds.Opening(LinkTestHost.ThreadId(units[i])));
            await host.LinkAsync(units[i], 200 + i);
        }

        await host.EnqueueAsync([.. units.Select(u => (u, Task(u)))]);
        await host.RunWorkerAsync();

        var calls = host.Api.Calls;
        Assert.That(calls, Has.Count.GreaterThanOrEqualTo(5));
        var afterRun = (await store.SummaryAsync(LinkTestHost.Subdomain))!;
        Assert.That(afterRun.LastCallStatus, Does.StartWith("API GET tickets/show_many: HTTP 200"), "the first call is a change of state: written at once");
        Assert.That(log.Writes, Is.EqualTo(1), "the other successful calls wait for the flush");
        Assert.That(log.Last(LinkTestHost.Subdomain)!.Status, Is.EqualTo("API PUT tickets/{id}: HTTP 200"), "in memory: the newest call");

        await log.FlushAsync(CancellationToken.None);

        var flushed = (await store.SummaryAsync(LinkTestHost.Subdomain))!;
        Assert.That(flushed.LastCallStatus, Is.EqualTo("API PUT tickets/{id}: HTTP 200"));
        Assert.That(flushed.LastCallAt, Is.GreaterThan(afterRun.LastCallAt!.Value));
        Assert.That(log.Writes, Is.EqualTo(2));
        await log.FlushAsync(CancellationToken.None);
        Assert.That(log.Writes, Is.EqualTo(2), "nothing new: nothing written");

        // Zendesk fails: written at once, with the error in plain words and never the token.
        var failing = LinkTestHost.UnitKey(30);
        host.Api.CreateTicket(230, ExternalIds.Opening(LinkTestHost.ThreadId(failing)));
        await host.LinkAsync(failing, 230);
        await host.EnqueueAsync((failing, Task(failing)));
        host.Api.FailNext = 3;
        await host.RunWorkerAsync(maxPasses: 1);

        var failed = (await store.SummaryAsync(LinkTestHost.Subdomain))!;
        Assert.That(failed.LastCallStatus, Is.EqualTo("API GET tickets/show_many: HTTP 500"));
        Assert.That(failed.LastError, Does.Contain("GET tickets/show_many").And.Contain("500"));
        Assert.That(log.Writes, Is.EqualTo(3), "three identical failures are one change of state");
        foreach (var text in new[] { failed.LastCallStatus, failed.LastError })
        {
            Assert.That(text, Does.Not.Contain("access-token-1").And.Not.Contain("Bearer"));
        }

        // It works again: written at once; the last error stays for the operator to read.
        await host.Services.GetRequiredService<ChannelService.ZendeskLink.Work.ApiWorkStore>().BringForwardAsync(LinkTestHost.AccountId, failing, DateTimeOffset.UtcNow);
        await host.RunWorkerAsync();
        var recovered = (await store.SummaryAsync(LinkTestHost.Subdomain))!;
        Assert.That(recovered.LastCallStatus, Does.EndWith("HTTP 200"));
        Assert.That(recovered.LastError, Does.Contain("500"));
        Assert.That(log.Writes, Is.EqualTo(4));
        Assert.That((string?)host.Api.Ticket(230)!["priority"], Is.EqualTo("high"));
    }

    [Test]
    public async Task The_Dashboard_Shows_The_Newest_Api_Call_Before_It_Is_Written_And_A_New_Link_Starts_Clean()
    {
        await using var host = LinkTestHost.Start(settings: new Dictionary<string, string?> { ["Channel:DashboardUser"] = "ops", ["Channel:DashboardPassword"] = "dash-pass" });
        var store = host.Services.GetRequiredService<ZendeskLinkStore>();
        var log = host.Services.GetRequiredService<ZendeskApiCallLog>();
        await store.SaveAsync(LinkTestHost.Subdomain, ZendeskGrantKind.ClientCredentials, "client", "secret", new ZendeskTokenSet("access-token-1", null, null, null, "read"), DateTimeOffset.UtcNow.AddMinutes(-5));
        await log.RecordAsync(LinkTestHost.Subdomain, "GET", "tickets/show_many", new ChannelService.Zendesk.ZendeskOutcome(ChannelService.Zendesk.ZendeskOutcomeKind.Accepted, 200, ""), CancellationToken.None);
        await log.RecordAsync(LinkTestHost.Subdomain, "PUT", "tickets/{id}", new ChannelService.Zendesk.ZendeskOutcome(ChannelService.Zendesk.ZendeskOutcomeKind.Accepted, 200, ""), CancellationToken.None);

        var stored = (await store.SummaryAsync(LinkTestHost.Subdomain))!;
        Assert.That(stored.LastCallStatus, Does.Contain("show_many"));
        Assert.That(log.Overlay(stored).LastCallStatus, Is.EqualTo("API PUT tickets/{id}: HTTP 200"));

        var dashboard = await DashboardPage(host);
        Assert.That(dashboard, Does.Contain("API PUT tickets/{id}: HTTP 200"));

        // Linked again: the old link's calls are forgotten; the new link's first call (the change feed creating its
        // webhook, which this fake does not play) is written at once, with its error.
        await host.Services.GetRequiredService<ZendeskLinkManager>().LinkAsync(LinkTestHost.Subdomain, ZendeskGrantKind.ClientCredentials, "client", "secret", new ZendeskTokenSet("access-token-1", null, null, null, "read"), CancellationToken.None);
        Assert.That(log.Last(LinkTestHost.Subdomain)!.Status, Is.EqualTo("API POST webhooks: HTTP 404"));
        var relinked = (await store.SummaryAsync(LinkTestHost.Subdomain))!;
        Assert.That((relinked.LastCallStatus, relinked.LastError), Is.EqualTo(("API POST webhooks: HTTP 404", log.Last(LinkTestHost.Subdomain)!.Error)));
    }

    private static async Task<string> DashboardPage(LinkTestHost host)
    {
        using var client = host.Host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("ops:dash-pass"u8.ToArray()));

        using var response = await client.SendAsync(request);
        Assert.That(response.IsSuccessStatusCode, Is.True, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadAsStringAsync();
    }
}
