using System.Globalization;
using System.Net;
using ChannelService.Pull;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Pull;

/// <summary>
/// The no-change shortcut (<c>Pull/UnchangedPulls.cs</c>) lasts until the clock reaches the first instant at which an
/// item enters or leaves the window (<c>Pull/PlanHorizon.cs</c>), at most <see cref="PullOptions.UnchangedValidity"/>:
/// before that instant identical pulls are answered from the mark, from it on by a full pull that sees the item.
/// </summary>
public sealed partial class PullScenarioTests
{
    [Test]
    public async Task The_No_Change_Shortcut_Ends_The_Tick_After_An_Event_Enters_The_Window()
    {
        // Arrange: only the window may end the shortcut here (its upper bound is 60 days away). The event starts 30 days
        // and 3 hours from now: with window_future_days=30 it is in the window once now + 30 days has passed its start.
        await UseHostAsync(o => o.UnchangedValidity = TimeSpan.FromDays(60));
        var metadata = Metadata();
        var entersAfter = Start + TimeSpan.FromHours(3);
        var start = entersAfter + TimeSpan.FromDays(30);
        feed.Body = Calendar(Event("e-launch", "Launch", Utc(start), Utc(start + TimeSpan.FromHours(1))));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets, Is.Empty);

        // Act + Assert: two hours on, the mark still holds and answers.
        clock.Advance(TimeSpan.FromHours(2));
        await DrainAsync(metadata, zendesk);
        Assert.That(await LastResultAsync(metadata), Is.EqualTo(QuickPullActivity.QuickResult), "answered by the shortcut");

        // At the instant itself the start equals the window's end: not in it yet.
        clock.Advance(entersAfter - clock.GetUtcNow());
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets, Is.Empty);

        // One tick later it is.
        clock.Advance(TimeSpan.FromTicks(1));
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets.Values.Select(t => t.Subject), Is.EqualTo(new[] { "Launch" }));
        Assert.That(zendesk.Duplicates, Is.Zero);
    }

    [Test]
    public async Task The_No_Change_Shortcut_Ends_When_The_Next_Occurrence_Of_A_Series_Enters_The_Window()
    {
        // Arrange: a weekly series on Sundays 10:00 UTC; the window is 30 days back and 30 ahead, so on 22 November
        // 08:00 it holds 1 November to 20 December, and 27 December enters on 27 November at 10:00.
        await UseHostAsync(o => o.UnchangedValidity = TimeSpan.FromDays(60));
        var metadata = Metadata("window_past_days=30");
        feed.Body = Calendar("BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Weekly review\r\nDTSTART:20261101T100000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n");
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(8), "1 November to 20 December");

        // Act + Assert: a minute before, the shortcut answers; a minute after, the full pull brings the occurrence.
        clock.Advance(new DateTimeOffset(2026, 11, 27, 9, 59, 0, TimeSpan.Zero) - clock.GetUtcNow());
        await DrainAsync(metadata, zendesk);
        Assert.That(await LastResultAsync(metadata), Is.EqualTo(QuickPullActivity.QuickResult), "answered by the shortcut");
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(8));

        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(9));
        Assert.That(zendesk.Tickets.Values.Select(t => t.Subject), Has.Some.Contains("27"), "the occurrence of 27 December");
        Assert.That(zendesk.Duplicates, Is.Zero);
    }

    [Test]
    public async Task An_Occurrence_Leaving_The_Window_Ends_The_Shortcut_And_Says_Nothing()
    {
        // Arrange: a weekly series on Sundays 10:00-10:30 UTC; with window_past_days=1 the occurrence of 22 November
        // leaves the window on 23 November at 10:30, while its date is still within a day of today's.
        await UseHostAsync(o => o.UnchangedValidity = TimeSpan.FromDays(60));
        var metadata = Metadata();
        feed.Body = Calendar("BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Weekly review\r\nDTSTART:20261101T100000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n");
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        var tickets = zendesk.Tickets.Count;

        // Act: just before and just after it leaves.
        clock.Advance(new DateTimeOffset(2026, 11, 23, 10, 29, 0, TimeSpan.Zero) - clock.GetUtcNow());
        await DrainAsync(metadata, zendesk);
        Assert.That(await LastResultAsync(metadata), Is.EqualTo(QuickPullActivity.QuickResult), "answered by the shortcut");
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);

        // Assert: a full pull (the shortcut ended), and an occurrence that merely left the window is not "cancelled".
        Assert.That(await LastResultAsync(metadata), Does.StartWith("0 resources; 0 changed"));
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(tickets));
        Assert.That(zendesk.Tickets.Values.SelectMany(t => t.Comments), Is.Empty);
    }

    [Test]
    public async Task Without_Items_That_Can_Enter_The_Window_The_Shortcut_Lasts_Its_Upper_Bound()
    {
        // Arrange: tasks only (nothing depends on the clock); the default bound is an hour.
        var metadata = Metadata();
        feed.Body = Calendar(Task("t1", "One"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        // Act + Assert
        clock.Advance(TimeSpan.FromMinutes(59));
        await DrainAsync(metadata, zendesk);
        Assert.That(await LastResultAsync(metadata), Is.EqualTo(QuickPullActivity.QuickResult), "59 minutes on: the shortcut");

        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);
        Assert.That(await LastResultAsync(metadata), Does.StartWith("0 resources; 0 changed"), "past the hour: a full pull");
    }

    /// <summary>Replaces the host with one on the same data folder whose <see cref="PullOptions"/> are changed.</summary>
    private async Task UseHostAsync(Action<PullOptions> configure)
    {
        client.Dispose();
        await host.DisposeAsync();
        host = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.Configure(configure);
        }));
        client = host.CreateClient();
    }

    /// <summary>The dashboard's last result of the account, quick pulls flushed first.</summary>
    private async Task<string?> LastResultAsync(string metadata)
    {
        await host.Services.GetRequiredService<QuickPullActivity>().FlushAsync();
        var pulls = await host.Services.GetRequiredService<PullMirrorStore>().LastPullsAsync();
        Assert.That(pulls[AccountIdOf(metadata)].At, Is.EqualTo(clock.GetUtcNow()), "the last pull is the one just made");
        return pulls[AccountIdOf(metadata)].Result;
    }

    private static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
}
