using System.Buffers.Text;
using ChannelService.Accounts;

namespace ChannelService.Tests.Accounts;

public sealed class PullStateCodecTests
{
    private string folder = null!;
    private KeyRing ring = null!;
    private PullStateCodec codec = null!;
    private string account = null!;

    [SetUp]
    public void SetUp()
    {
        folder = TempDirectory.CreatePath();
        ring = KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System);
        codec = new PullStateCodec(ring);
        account = AccountIds.New();
    }

    [TearDown]
    public void TearDown() => TempDirectory.DeletePath(folder);

    [TestCase(null)]
    [TestCase("http://radicale.example/sync/1687000000-3")]
    [TestCase("W/\"5f3a-ETag\" | Tue, 15 Nov 1994 08:12:31 GMT")]
    [TestCase("tökén ✓")]
    public void State_Round_Trips(string? cursor)
    {
        var state = new PullState(account, "01J9-epoch", 42, cursor);

        Assert.That(codec.Decode(codec.Encode(state), account), Is.EqualTo(state));
    }

    [Test]
    public void The_First_Sync_Time_Round_Trips_To_The_Second()
    {
        var state = new PullState(account, "epoch", 3, "token", new DateTimeOffset(2026, 11, 22, 8, 1, 2, 345, TimeSpan.FromHours(1)));

        var back = codec.Decode(codec.Encode(state), account);

        Assert.That(back!.FirstSyncedAt, Is.EqualTo(new DateTimeOffset(2026, 11, 22, 7, 1, 2, TimeSpan.Zero)));
        Assert.That(back with { FirstSyncedAt = state.FirstSyncedAt }, Is.EqualTo(state));
    }

    [Test]
    public void A_State_Minted_Without_A_First_Sync_Time_Reads_Without_One()
    {
        var back = codec.Decode(codec.Encode(new PullState(account, "epoch", 3, "token")), account);

        Assert.That(back!.FirstSyncedAt, Is.Null);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("  ")]
    public void Absent_State_Means_The_First_Pull(string? value)
    {
        Assert.That(codec.Decode(value, account), Is.Null);
    }

    [Test]
    public void State_From_Another_Account_Is_Rejected()
    {
        var state = codec.Encode(new PullState(AccountIds.New(), "epoch", 3, "token"));

        var ex = Assert.Throws<PullStateRejectedException>(() => codec.Decode(state, account));

        Assert.That(ex!.Reason, Is.EqualTo(CodecRejection.WrongAccount));
    }

    [Test]
    public void A_State_Read_Before_Reads_The_Same_Again_And_Still_Only_For_Its_Account()
    {
        // The codec keeps strings it verified (a no-change pull sends the same state again and again).
        var state = new PullState(account, "epoch", 7, "token", new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        var text = codec.Encode(state);
        Assert.That(codec.Decode(text, account), Is.EqualTo(state));

        Assert.That(codec.Decode(text, account), Is.EqualTo(state));
        var ex = Assert.Throws<PullStateRejectedException>(() => codec.Decode(text, AccountIds.New()));
        Assert.That(ex!.Reason, Is.EqualTo(CodecRejection.WrongAccount));
        var tampered = text[..^3] + (text[^3] == 'A' ? 'B' : 'A') + text[^2..];
        Assert.Throws<PullStateRejectedException>(() => codec.Decode(tampered, account), "a changed string is checked afresh");
    }

    [Test]
    public void Every_Single_Character_Change_And_Truncation_Is_Rejected()
    {
        var state = codec.Encode(new PullState(account, "epoch", 7, "sync-token-123"));

        for (var i = 0; i < state.Length; i++)
        {
            var altered = string.Concat(state.AsSpan(0, i), (state[i] == 'B' ? 'C' : 'B').ToString(), state.AsSpan(i + 1));
            Assert.That(codec.TryDecode(altered, account, out _, out _), Is.False, $"change at {i}");
            Assert.That(codec.TryDecode(state[..i], account, out _, out _), Is.False, $"truncated to {i}");
        }
    }

    [Test]
    public void Every_Bit_Flip_In_The_Signed_Bytes_Is_Rejected_As_Tampered()
    {
        var state = codec.Encode(new PullState(account, "epoch", 7, "sync-token-123"));
        var prefix = state[..(state.LastIndexOf('.') + 1)];
        var bytes = Base64Url.DecodeFromChars(state.AsSpan(prefix.Length));

        for (var i = 0; i < bytes.Length; i++)
        {
            var altered = (byte[])bytes.Clone();
            altered[i] ^= 0x40;
            var ex = Assert.Throws<PullStateRejectedException>(() => codec.Decode(prefix + Base64Url.EncodeToString(altered), account));
            Assert.That(ex!.Reason, Is.EqualTo(CodecRejection.Tampered), $"byte {i}");
        }
    }

    [Test]
    public void State_Signed_By_Another_Service_Is_Rejected()
    {
        using var other = new TempDirectory();
        var foreign = new PullStateCodec(KeyRing.LoadOrCreate(other.KeyFile, TimeProvider.System)).Encode(new PullState(account, "epoch", 1, null));

        Assert.That(() => codec.Decode(foreign, account), Throws.TypeOf<PullStateRejectedException>().With.Property("Reason").EqualTo(CodecRejection.UnknownKey));
    }

    [Test]
    public void Relabelling_With_Another_Key_Id_Is_Rejected()
    {
        var state = codec.Encode(new PullState(account, "epoch", 1, null));
        var added = ring.Rotate();
        var parts = state.Split('.');

        Assert.That(() => codec.Decode($"s1.{added.Id}.{parts[2]}", account), Throws.TypeOf<PullStateRejectedException>().With.Property("Reason").EqualTo(CodecRejection.Tampered));
        Assert.That(codec.Decode(state, account)!.Generation, Is.EqualTo(1), "still valid after rotation under its own key");
    }

    [Test]
    public void Metadata_Is_Not_Accepted_As_State()
    {
        var metadata = new MetadataCodec(ring).Encode(Accounts.Sample() with { AccountId = account });

        Assert.That(() => codec.Decode(metadata, account), Throws.TypeOf<PullStateRejectedException>().With.Property("Reason").EqualTo(CodecRejection.UnsupportedVersion));
    }

    [TestCase("garbage")]
    [TestCase("s1.x.y.z")]
    [TestCase("s1..AAAA")]
    [TestCase("{\"generation\":5}")]
    public void Garbage_Is_Rejected_With_A_Message_That_Does_Not_Echo_It(string value)
    {
        var ex = Assert.Throws<PullStateRejectedException>(() => codec.Decode(value, account));

        Assert.That(ex!.Message, Does.Not.Contain(value));
    }

    [Test]
    public void A_Cursor_Too_Long_For_Zendesk_Is_Refused_When_Minting()
    {
        var state = new PullState(account, "epoch", 1, Accounts.RandomText(4000));

        Assert.That(() => codec.Encode(state), Throws.TypeOf<EncodedValueTooLargeException>().With.Message.Contains("5000"));
    }

    [Test]
    public void A_Long_Realistic_Cursor_Fits()
    {
        var state = new PullState(account, Guid.NewGuid().ToString("N"), long.MaxValue, "https://caldav.example.com/sync/" + Accounts.RandomText(300));

        var encoded = codec.Encode(state);

        Assert.That(encoded.Length, Is.LessThanOrEqualTo(5000));
        Assert.That(codec.Decode(encoded, account), Is.EqualTo(state));
    }

    [Test]
    public void Minting_Refuses_A_State_Without_Epoch_Or_With_A_Foreign_Account_Id()
    {
        Assert.That(() => codec.Encode(new PullState(account, "", 1, null)), Throws.ArgumentException);
        Assert.That(() => codec.Encode(new PullState("not an id", "e", 1, null)), Throws.ArgumentException);
        Assert.That(() => codec.Encode(new PullState(account, "e", -1, null)), Throws.ArgumentException);
    }
}
