using ChannelService.Calendars;
using ChannelService.Sandbox;
using ChannelService.Tickets;
using ChannelService.ZendeskLink.Tickets;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>The sandbox's Zendesk plays the REST API for its subdomain, so the page shows what the link set.</summary>
public sealed class SandboxLinkTests
{
    [Test]
    public async Task The_Sandbox_Shows_Type_Due_Date_Priority_Tags_And_Requester_Set_Through_Its_Own_Api()
    {
        await using var host = LinkTestHost.Start(settings: new Dictionary<string, string?> { ["Channel:Sandbox"] = "true" });
        var unit = LinkTestHost.UnitKey(42);
        var opening = ExternalIds.Opening(LinkTestHost.ThreadId(unit));
        var store = host.Services.GetRequiredService<SandboxStore>();
        var account = store.Save(null, "Tasks", "metadata", null);
        SandboxZendesk.ApplyPull(account, 200, "{\"external_resources\":[{\"external_id\":\"" + opening + "\",\"thread_id\":\"" + LinkTestHost.ThreadId(unit) + "\",\"message\":\"Pay the invoices\",\"author\":{\"external_id\":\"a\",\"name\":\"Ann\"}}]}");
        var ticket = account.Tickets.Single();
        Assert.That(SandboxZendesk.ResourcesCreatedEvent([ticket]), Does.Contain("\"ticket_id\":" + ticket.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        await host.LinkAsync(unit, ticket.Id);
        await host.EnqueueAsync(SandboxZendeskApi.Subdomain, (unit, new TicketIntent
        {
            ThreadId = LinkTestHost.ThreadId(unit),
            Kind = CalendarItemKind.Task,
            DueAt = new DateTimeOffset(2030, 1, 31, 22, 59, 59, TimeSpan.Zero),
            Priority = "urgent",
            Tags = ["billing_run"],
            Requester = new TicketRequester("alice@example.com", "Alice Example"),
        }));
        host.Tokens.Token = null;

        await host.RunWorkerAsync();

        Assert.That(host.Api.Calls, Is.Empty, "the sandbox subdomain is served in process, with its pretend token");
        Assert.That((ticket.Type, ticket.Priority, ticket.DueAt), Is.EqualTo(("task", "urgent", "2030-01-31T22:59:59Z")));
        Assert.That(ticket.Tags, Is.EqualTo(new[] { "billing_run" }));
        using var client = host.Host.CreateClient();
        var page = await client.GetStringAsync("/sandbox");
        Assert.That(page, Does.Contain("urgent").And.Contain("2030-01-31T22:59:59Z").And.Contain("Alice Example &lt;alice@example.com&gt;"));
    }
}
