using ChannelService.Tickets;
using ChannelService.Tests.Support;

namespace ChannelService.Tests.Tickets;

public sealed class ExternalIdsTests
{
    [Test]
    public void Ids_Are_Deterministic()
    {
        Assert.That(ExternalIds.ItemKey("uid-1"), Is.EqualTo(ExternalIds.ItemKey("uid-1")));
        Assert.That(ExternalIds.Reply("t", "req-1"), Is.EqualTo(ExternalIds.Reply("t", "req-1")));
    }

    [Test]
    public void Item_Keys_Distinguish_Overrides_And_Resist_Concatenation_Collisions()
    {
        Assert.That(ExternalIds.ItemKey("uid", "20261122T100000Z"), Is.Not.EqualTo(ExternalIds.ItemKey("uid")));
        Assert.That(ExternalIds.ItemKey("ab", "c"), Is.Not.EqualTo(ExternalIds.ItemKey("a", "bc")));
    }

    [Test]
    public void Every_Id_Is_A_Valid_Zendesk_External_Id_Even_For_Long_Non_Ascii_Uids()
    {
        var uid = "040000008200E00074C5B7101A82E008" + new string('é', 300) + " 日本";
        var thread = ExternalIds.ThreadId("acc_12345678", ExternalIds.ItemKey(uid, "20261122"));
        string[] ids =
        [
            thread,
            ExternalIds.Opening(thread),
            ExternalIds.Change(thread, 41, "v1", "v2"),
            ExternalIds.Reply(thread, "zendesk-request-" + new string('x', 500)),
            ExternalIds.SourceComment(thread, "comment text ü"),
            ExternalIds.Author("Alice@Example.COM"),
        ];

        Assert.That(ids, Has.All.Matches<string>(ZendeskSchemas.IsExternalId));
        Assert.That(ids, Has.All.Matches<string>(id => id.Length <= 100));
        Assert.That(ids.Distinct().Count(), Is.EqualTo(ids.Length));
    }

    [Test]
    public void A_Closing_Notice_Is_Named_By_What_The_Task_Says_So_A_Resync_Repeats_It_And_A_Second_Completion_Does_Not()
    {
        var first = NodaTime.Instant.FromUtc(2026, 11, 22, 9, 0);

        Assert.That(ExternalIds.Closing("acct-t", "COMPLETED", first), Is.EqualTo(ExternalIds.Closing("acct-t", "COMPLETED", first)));
        Assert.That(ExternalIds.Closing("acct-t", "COMPLETED", first + NodaTime.Duration.FromHours(3)), Is.Not.EqualTo(ExternalIds.Closing("acct-t", "COMPLETED", first)));
        Assert.That(ExternalIds.Closing("acct-t", "CANCELLED", null), Is.Not.EqualTo(ExternalIds.Closing("acct-t", "COMPLETED", null)));
        Assert.That(ExternalIds.Closing("acct-t", "COMPLETED", first), Does.StartWith("acct-t-s").And.Length.LessThanOrEqualTo(255));
    }

    [Test]
    public void A_Change_And_Its_Reversal_Get_Different_Ids()
    {
        var moved = ExternalIds.Change("t", 1, "at10", "at11");
        var movedBack = ExternalIds.Change("t", 2, "at11", "at10");
        var sameTransitionLater = ExternalIds.Change("t", 3, "at10", "at11");

        Assert.That(new[] { moved, movedBack, sameTransitionLater }.Distinct().Count(), Is.EqualTo(3));
    }

    [Test]
    public void Occurrence_Keys_Depend_On_The_Date_Not_The_Time_Of_Day()
    {
        var day = new DateOnly(2026, 11, 24);

        Assert.That(ExternalIds.OccurrenceKey("series", day), Is.EqualTo(ExternalIds.OccurrenceKey("series", day)));
        Assert.That(ExternalIds.OccurrenceKey("series", day), Is.Not.EqualTo(ExternalIds.OccurrenceKey("series", day.AddDays(7))));
        Assert.That(ExternalIds.OccurrenceKey("series", day, 1), Is.Not.EqualTo(ExternalIds.OccurrenceKey("series", day, 0)));
    }

    [Test]
    public void Authors_Are_Matched_Case_Insensitively() =>
        Assert.That(ExternalIds.Author(" Alice@Example.com"), Is.EqualTo(ExternalIds.Author("alice@example.COM")));

    [Test]
    public void Hash_Keeps_120_Bits() => Assert.That(ExternalIds.ItemKey("x"), Has.Length.EqualTo(24));

    [TestCase("")]
    [TestCase("a-b")]
    [TestCase("ä")]
    public void Thread_Ids_Refuse_Malformed_Account_Ids(string accountId) =>
        Assert.That(() => ExternalIds.ThreadId(accountId, "k"), Throws.ArgumentException);
}
