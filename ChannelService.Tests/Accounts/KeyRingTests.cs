using Microsoft.Extensions.Configuration;
using System.Text.Json;
using ChannelService.Accounts;

namespace ChannelService.Tests.Accounts;

public sealed class KeyRingTests
{
    private string folder = null!;

    [SetUp]
    public void SetUp() => folder = TempDirectory.CreatePath();

    [TearDown]
    public void TearDown() => TempDirectory.DeletePath(folder);

    [Test]
    public void First_Start_Generates_A_Key_File_And_The_Second_Start_Reuses_It()
    {
        var data = Path.Combine(folder, "data");
        var first = KeyRing.LoadOrCreate(Path.Combine(data, KeyRing.FileName), TimeProvider.System);
        var minted = new MetadataCodec(first).Encode(Accounts.Sample());

        var second = KeyRing.LoadOrCreate(Path.Combine(data, KeyRing.FileName), TimeProvider.System);

        Assert.That(File.Exists(Path.Combine(data, KeyRing.FileName)), Is.True);
        Assert.That(second.Keys.Select(k => k.Id), Is.EqualTo(first.Keys.Select(k => k.Id)));
        Assert.That(new MetadataCodec(second).Decode(minted).Username, Is.EqualTo("anna"));
    }

    [Test]
    public void Generated_Key_File_Is_Readable_By_The_Owner_Only()
    {
        Assume.That(OperatingSystem.IsWindows(), Is.False, "Unix file modes only.");
        KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System).Rotate();

        Assert.That(OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(Path.Combine(folder, KeyRing.FileName)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(Directory.GetFiles(folder), Has.Length.EqualTo(1), "no temporary file is left behind");
    }

    [Test]
    public void Key_File_Holds_A_32_Byte_Key_With_Id_And_Creation_Time()
    {
        var time = new ManualTime(Accounts.Start);
        var ring = KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), time);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, KeyRing.FileName)));
        var key = json.RootElement.GetProperty("keys")[0];
        Assert.That(key.GetProperty("id").GetString(), Is.EqualTo(ring.Current.Id));
        Assert.That(key.GetProperty("created").GetDateTimeOffset(), Is.EqualTo(Accounts.Start));
        Assert.That(Convert.FromBase64String(key.GetProperty("secret").GetString()!), Has.Length.EqualTo(32));
    }

    [Test]
    public void Rotate_Adds_A_Newest_Key_And_Keeps_The_Old_Ones_On_Disk()
    {
        var ring = KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System);
        var old = ring.Current;

        var added = ring.Rotate();

        Assert.That(ring.Current, Is.SameAs(added));
        Assert.That(added.Id, Is.Not.EqualTo(old.Id));
        Assert.That(KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System).Keys.Select(k => k.Id), Is.EqualTo(new[] { old.Id, added.Id }));
    }

    [Test]
    public void Rotate_Does_Not_Undo_A_Rotation_By_Another_Process()
    {
        var a = KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System);
        var b = KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System);

        var fromB = b.Rotate();
        var fromA = a.Rotate();

        Assert.That(a.Keys.Select(k => k.Id), Has.Member(fromB.Id).And.Member(fromA.Id));
        Assert.That(KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System).Keys, Has.Count.EqualTo(3));
    }

    [Test]
    public void A_Key_Added_By_Another_Process_Is_Picked_Up_After_The_Reload_Interval_Only()
    {
        var time = new ManualTime(Accounts.Start);
        var service = KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), time);
        var cli = KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), time);
        var added = cli.Rotate();

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.That(service.TryGetKey(added.Id, out _), Is.False, "unknown ids do not force a file read on every request");

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.That(service.TryGetKey(added.Id, out var found), Is.True);
        Assert.That(found!.Id, Is.EqualTo(added.Id));
    }

    [Test]
    public void Configured_Keys_Are_Used_In_Order_With_The_Last_One_Current_And_Cannot_Rotate()
    {
        var ring = KeyRing.FromConfiguredKeys(
        [
            new ConfiguredKey("2025", Convert.ToBase64String(new byte[32])),
            new ConfiguredKey("2026", Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray())),
        ]);

        Assert.That(ring.Current.Id, Is.EqualTo("2026"));
        Assert.That(ring.IsConfigured, Is.True);
        Assert.That(() => ring.Rotate(), Throws.TypeOf<KeyRingException>().With.Message.Contains("Channel:Keys"));
    }

    [TestCase("ok", "not base64!", "base64")]
    [TestCase("ok", "AAAA", "at least 32 bytes")]
    [TestCase("has.dot", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "key id")]
    [TestCase("", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "key id")]
    public void Bad_Configured_Keys_Are_Refused_With_A_Message_Without_The_Secret(string id, string secret, string expected)
    {
        var ex = Assert.Throws<KeyRingException>(() => KeyRing.FromConfiguredKeys([new ConfiguredKey(id, secret)]));

        Assert.That(ex!.Message, Does.Contain(expected));
        Assert.That(ex.Message, Does.Not.Contain(secret));
    }

    [Test]
    public void Duplicate_Configured_Key_Ids_Are_Refused()
    {
        var secret = Convert.ToBase64String(new byte[32]);

        Assert.That(() => KeyRing.FromConfiguredKeys([new("a", secret), new("a", secret)]), Throws.TypeOf<KeyRingException>().With.Message.Contains("more than once"));
    }

    [Test]
    public void A_Corrupt_Key_File_Is_Reported_Not_Replaced()
    {
        File.WriteAllText(Path.Combine(folder, KeyRing.FileName), "{ not json");

        Assert.That(() => KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System), Throws.TypeOf<KeyRingException>().With.Message.Contains("backup"));
        Assert.That(File.ReadAllText(Path.Combine(folder, KeyRing.FileName)), Is.EqualTo("{ not json"));
    }

    [Test]
    public void Derived_Keys_Differ_Per_Purpose_And_Are_Stable()
    {
        var key = KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System).Current;

        Assert.That(key.DeriveKey("metadata/v1"), Is.Not.EqualTo(key.DeriveKey("state/v1")));
        Assert.That(key.DeriveKey("metadata/v1"), Is.EqualTo(KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System).Current.DeriveKey("metadata/v1")));
        Assert.That(key.DeriveKey("state/v1"), Has.Length.EqualTo(32));
    }

    [Test]
    public void Encoding_And_Decoding_On_Many_Threads_During_A_Rotation_All_Succeed()
    {
        var ring = KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System);
        var codec = new MetadataCodec(ring);
        var failures = 0;

        Parallel.For(0, 400, i =>
        {
            if (i == 200)
            {
                ring.Rotate();
            }

            var account = Accounts.Sample();
            if (codec.Decode(codec.Encode(account)) != account)
            {
                Interlocked.Increment(ref failures);
            }
        });

        Assert.That(failures, Is.Zero);
        Assert.That(ring.Keys, Has.Count.EqualTo(2));
    }

    [Test]
    public void Relative_Data_Directory_Resolves_Against_The_Working_Directory()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Channel:DataDirectory"] = "state/here" }).Build();
        var empty = new ConfigurationBuilder().Build();

        Assert.That(AccountsConfiguration.DataDirectory(configuration), Is.EqualTo(Path.Combine(Environment.CurrentDirectory, "state", "here")));
        Assert.That(AccountsConfiguration.DataDirectory(empty), Is.EqualTo(Path.Combine(Environment.CurrentDirectory, "data")));
    }

    [Test]
    public void Configured_Keys_Take_Precedence_Over_The_Key_File()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Channel:DataDirectory"] = folder,
            ["Channel:Keys:0:Id"] = "old",
            ["Channel:Keys:0:Secret"] = Convert.ToBase64String(new byte[32]),
            ["Channel:Keys:1:Id"] = "new",
            ["Channel:Keys:1:Secret"] = Convert.ToBase64String(new byte[48]),
        }).Build();

        var ring = AccountsConfiguration.LoadKeyRing(configuration, TimeProvider.System);

        Assert.That(ring.Keys.Select(k => k.Id), Is.EqualTo(new[] { "old", "new" }));
        Assert.That(File.Exists(Path.Combine(folder, KeyRing.FileName)), Is.False);
    }
}
