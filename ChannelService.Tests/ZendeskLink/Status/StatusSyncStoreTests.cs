using ChannelService.Accounts;
using ChannelService.Data;
using ChannelService.ZendeskLink.Status;

namespace ChannelService.Tests.ZendeskLink.Status;

/// <summary>The owner of task_status_sync on both databases: the two writers (change feed handler, pull) never lose each other's news.</summary>
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class StatusSyncStoreTests(TestStore kind)
{
    private const string Account = "abcdefghijkm";
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private string folder = "";
    private Database database = null!;
    private StatusSyncStore store = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        folder = Directory.CreateTempSubdirectory("channelservice-status-").FullName;
        database = await kind.CreateAsync(folder);
        await database.InitializeAsync();
        store = new StatusSyncStore(database);
    }

    [TearDown]
    public void DeleteFolder()
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Test]
    public async Task A_Ticket_Snapshot_Is_Kept_Only_When_Newer_And_A_Settlement_Keeps_A_Move_That_Arrived_Meanwhile()
    {
        // The pull saw the task first (agreed open); the feed then passes the ticket solved at T0+1.
        await ObserveSourceAsync("u1", "open", moved: false);
        await store.ObserveTicketAsync(Account, "u1", "acme", 301, "solved", T0.AddSeconds(1), null, moved: true, dueMoved: false, clearWritten: false, T0);

        // An older snapshot arriving late changes nothing.
        await store.ObserveTicketAsync(Account, "u1", "acme", 301, "open", T0, null, moved: false, dueMoved: false, clearWritten: false, T0);
        var row = await store.GetAsync(Account, "u1");
        Assert.That((row!.TicketStatus, row.TicketMoved, row.Agreed, row.SourceState), Is.EqualTo(("solved", 1L, "open", "open")));
        Assert.That(await store.TicketMovesAsync(Account, 10), Has.Count.EqualTo(1));

        // The pull decides on T0+1, but the agent reopened at T0+2 meanwhile: that move stays for the next pull.
        await store.ObserveTicketAsync(Account, "u1", "acme", 301, "open", T0.AddSeconds(2), null, moved: true, dueMoved: false, clearWritten: false, T0);
        await store.SettleAsync(Account, "u1", new StatusSettlement { Agreed = "closed", SourceState = "completed", SourceWritten = "completed", TicketAtSeen = T0.AddSeconds(1) }, T0);
        row = await store.GetAsync(Account, "u1");
        Assert.That((row!.Agreed, row.TicketMoved, row.SourceWritten, row.SourceEcho), Is.EqualTo(("closed", 1L, "completed", 1L)));

        // Deciding on the newest clears it.
        await store.SettleAsync(Account, "u1", new StatusSettlement { Agreed = "open", SourceState = "open", SourceWritten = "open", TicketAtSeen = T0.AddSeconds(2) }, T0);
        Assert.That(await store.TicketMovesAsync(Account, 10), Is.Empty);
    }

    [Test]
    public async Task The_Read_Back_Of_Our_Write_Clears_The_Echo_Mark_And_A_Change_By_Someone_Else_Forgets_It()
    {
        await ObserveSourceAsync("u2", "open", moved: false);
        await store.SettleAsync(Account, "u2", new StatusSettlement { Agreed = "closed", SourceState = "completed", SourceWritten = "completed" }, T0);
        await using (var c = await database.OpenAsync())
        await using (var t = await c.BeginTransactionAsync())
        {
            Assert.That(await StatusSyncStore.WrittenToSourceAsync(c, t, Account), Is.EqualTo(new Dictionary<string, string> { ["u2"] = "completed" }));
        }

        await ObserveSourceAsync("u2", "completed", moved: false);
        var row = await store.GetAsync(Account, "u2");
        Assert.That((row!.SourceEcho, row.SourceWritten), Is.EqualTo((0L, "completed")), "read back once; the written state is remembered for the pull's wording");

        await ObserveSourceAsync("u2", "open", moved: true, forgetWritten: true);
        row = await store.GetAsync(Account, "u2");
        Assert.That((row!.SourceWritten, row.SourceMoved, row.Agreed), Is.EqualTo(((string?)null, 1L, "closed")));
    }

    [Test]
    public async Task The_Summary_Counts_Conflicts_Of_The_Last_Day_And_Moves_Waiting_Per_Account()
    {
        await ObserveSourceAsync("u3", "open", moved: false);
        await ObserveSourceAsync("u4", "open", moved: false);
        await store.SettleAsync(Account, "u3", new StatusSettlement { Agreed = "open", ConflictNote = "old conflict" }, T0.AddDays(-2));
        await store.SettleAsync(Account, "u4", new StatusSettlement { Agreed = "closed", ConflictNote = "new conflict", Error = "refused" }, T0);
        await store.ObserveTicketAsync(Account, "u3", "acme", 303, "solved", T0, null, moved: true, dueMoved: false, clearWritten: false, T0);

        var summary = (await store.SummaryAsync(T0.AddDays(-1)))[Account];

        Assert.That(summary, Is.EqualTo(new StatusSyncSummary(1, 1, "new conflict", "refused")));
    }

    private async Task ObserveSourceAsync(string unit, string state, bool moved, bool forgetWritten = false)
    {
        await using var c = await database.OpenAsync();
        await using var t = await c.BeginTransactionAsync();
        await StatusSyncStore.ObserveSourceAsync(c, t, Account, unit, "acme", TaskStates.OfTask(state), state, T0, moved, forgetWritten, T0);
        await t.CommitAsync();
    }
}

/// <summary>The policy as a pure rule: who moved since the last agreement, and who wins when both did.</summary>
public sealed class StatusDecisionTests
{
    private static readonly DateTimeOffset Early = new(2026, 12, 7, 14, 2, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Late = new(2026, 12, 7, 14, 5, 0, TimeSpan.Zero);

    [TestCase("zendesk_wins", "open", false, "Zendesk")]
    [TestCase("source_wins", "closed", true, "Source")]
    [TestCase("newest_wins", "closed", true, "Source")]
    public void Both_Moved_Apart_The_Policy_Decides(string mode, string agreed, bool writeTicket, string winner)
    {
        // The ticket reopened at 14:02, the task completed again at 14:05.
        var policy = AccountOptions.Default.With("status_sync", mode).StatusSync;
        var decision = StatusDecision.Decide(policy, "closed", new SideState("open", Early, true), new SideState("completed", Late, true))!;

        Assert.That((decision.Agreed, decision.WriteTicket, decision.WriteSource, decision.ConflictWinner.ToString()), Is.EqualTo((agreed, writeTicket, !writeTicket, winner)));
    }

    [Test]
    public void Newest_Wins_Gives_A_Tie_Or_A_Side_Without_A_Time_To_Zendesk()
    {
        Assert.That(StatusDecision.Decide(StatusSyncMode.NewestWins, "closed", new SideState("open", Late, true), new SideState("completed", Late, true))!.ConflictWinner, Is.EqualTo(StatusWinner.Zendesk));
        Assert.That(StatusDecision.Decide(StatusSyncMode.NewestWins, "closed", new SideState("open", Early, true), new SideState("completed", null, true))!.ConflictWinner, Is.EqualTo(StatusWinner.Zendesk));
    }

    [Test]
    public void One_Side_Moving_Carries_Over_And_Agreement_Or_Off_Does_Nothing()
    {
        var fromTicket = StatusDecision.Decide(StatusSyncMode.NewestWins, "open", new SideState("closed", Late, true), new SideState("open", Early, false))!;
        var fromTask = StatusDecision.Decide(StatusSyncMode.ZendeskWins, "open", new SideState("open", Late, false), new SideState("cancelled", Early, true))!;
        var alike = StatusDecision.Decide(StatusSyncMode.SourceWins, "open", new SideState("closed", Late, true), new SideState("completed", Early, true))!;

        Assert.That((fromTicket.Agreed, fromTicket.WriteSource, fromTicket.WriteTicket, fromTicket.IsConflict), Is.EqualTo(("closed", true, false, false)));
        Assert.That((fromTask.Agreed, fromTask.WriteSource, fromTask.WriteTicket, fromTask.IsConflict), Is.EqualTo(("closed", false, true, false)));
        Assert.That((alike.WriteSource, alike.WriteTicket, alike.IsConflict), Is.EqualTo((false, false, false)));
        Assert.That(StatusDecision.Decide(StatusSyncMode.NewestWins, "open", new SideState("open", Late, false), new SideState("open", Early, false)), Is.Null);
        Assert.That(StatusDecision.Decide(StatusSyncMode.Off, "open", new SideState("closed", Late, true), new SideState("open", Early, false)), Is.Null);
    }

    [Test]
    public void The_Conflict_Note_Says_What_Was_Overridden_In_The_Account_Zone()
    {
        var zone = NodaTime.DateTimeZoneProviders.Tzdb["Europe/Berlin"];
        var ticket = new SideState("closed", Late, true);
        var task = new SideState("open", Early, true);
        var decision = new StatusDecision("closed", true, false, StatusWinner.Zendesk);

        var note = TaskStatusSync.ConflictNote(StatusSyncMode.NewestWins, decision, ticket, task, zone);

        Assert.That(note, Is.EqualTo("The task was reopened in the calendar at 2026-12-07 15:02 (Europe/Berlin); the ticket was solved at 2026-12-07 15:05 (Europe/Berlin); Zendesk wins: the task follows the ticket (status_sync=newest_wins)."));
    }
}
