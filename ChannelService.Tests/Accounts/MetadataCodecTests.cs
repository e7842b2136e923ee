using System.Buffers.Text;
using System.Collections.Immutable;
using ChannelService.Accounts;

namespace ChannelService.Tests.Accounts;

public sealed class MetadataCodecTests
{
    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private string folder = null!;
    private KeyRing ring = null!;
    private MetadataCodec codec = null!;

    [SetUp]
    public void SetUp()
    {
        folder = TempDirectory.CreatePath();
        ring = KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System);
        codec = new MetadataCodec(ring);
    }

    [TearDown]
    public void TearDown() => TempDirectory.DeletePath(folder);

    [Test]
    public void A_Full_Account_Round_Trips()
    {
        var account = Accounts.Sample(AccountOptions.Parse(new Dictionary<string, string>
        {
            ["tasks"] = "all",
            ["time_zone"] = "Europe/Berlin",
            ["custom_fields"] = """{"360001":"X-CATEGORY","42":"priority"}""",
            ["reply_commands"] = "off",
        })) with
        {
            Subdomain = "acme",
            InstancePushId = "01HXYZ-push",
        };

        var decoded = codec.Decode(codec.Encode(account));

        Assert.That(decoded, Is.EqualTo(account));
        Assert.That(decoded.Options.CustomFields[42], Is.EqualTo("PRIORITY"));
    }

    [Test]
    public void An_Account_Without_Optional_Fields_Round_Trips()
    {
        var account = new AccountMetadata { AccountId = AccountIds.New(), Kind = SourceKind.Ics, Url = "webcal://example.org/feed.ics", CreatedAt = Accounts.Start };

        Assert.That(codec.Decode(codec.Encode(account)), Is.EqualTo(account));
    }

    [Test]
    public void Non_Ascii_Values_Round_Trip()
    {
        var account = Accounts.Sample() with { DisplayName = "Aufgaben – Büro 東京 🗓", Secret = "pässwörd\"\\" };

        Assert.That(codec.Decode(codec.Encode(account)), Is.EqualTo(account));
    }

    [Test]
    public void Metadata_Has_Version_Key_Id_And_Url_Safe_Payload_And_Hides_The_Secret()
    {
        var metadata = codec.Encode(Accounts.Sample());
        var parts = metadata.Split('.');

        Assert.That(parts, Has.Length.EqualTo(3));
        Assert.That(parts[0], Is.EqualTo("v1"));
        Assert.That(parts[1], Is.EqualTo(ring.Current.Id));
        Assert.That(parts[2].All(c => Base64UrlAlphabet.Contains(c)), Is.True);
        Assert.That(metadata, Does.Not.Contain("app-password"));
    }

    [Test]
    public void Encoding_Twice_Gives_Different_Strings_With_The_Same_Content()
    {
        var account = Accounts.Sample();

        var first = codec.Encode(account);
        var second = codec.Encode(account);

        Assert.That(first, Is.Not.EqualTo(second), "fresh nonce per encryption");
        Assert.That(codec.Decode(second), Is.EqualTo(codec.Decode(first)));
    }

    [Test]
    public void A_Realistic_Maximal_Account_Fits_In_5000_Characters()
    {
        var options = AccountOptions.Default with
        {
            Tasks = TaskScope.All,
            WindowPastDays = 3650,
            WindowFutureDays = 3650,
            Recurring = RecurrenceMode.Series,
            TimeZone = "America/Argentina/ComodRivadavia",
            AuthorName = Accounts.RandomText(AccountOptions.MaxAuthorNameLength),
            ChangeNotes = ChangeNoteVisibility.Internal,
            ReplyCommands = false,
            ReplyTarget = ReplyTarget.Comment,
            EventReplies = true,
            CustomFields = Enumerable.Range(0, 10).ToImmutableSortedDictionary(i => 360000000000L + i, i => "X-" + Accounts.RandomText(30, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")),
        };
        var account = Accounts.Sample(options) with
        {
            Url = "https://caldav.example-hosting-provider.com/remote.php/dav/calendars/" + Accounts.RandomText(40) + "/" + Accounts.RandomText(200) + "/",
            Username = Accounts.RandomText(64) + "@example.com",
            Secret = Accounts.RandomText(300),
            DisplayName = Accounts.RandomText(NewAccountRequestValidator.MaxDisplayNameLength),
            Subdomain = "a-rather-long-zendesk-subdomain",
            InstancePushId = Accounts.RandomText(64),
        };

        var metadata = codec.Encode(account);

        TestContext.Out.WriteLine($"realistic maximal account: {metadata.Length} characters");
        Assert.That(metadata.Length, Is.LessThanOrEqualTo(5000));
        Assert.That(codec.Decode(metadata), Is.EqualTo(account));
    }

    [Test]
    public void An_Account_With_Every_Field_At_Its_Validator_Limit_Still_Fits()
    {
        const string Printable = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
        var request = new NewAccountRequest(
            "caldav-calendar",
            "https://dav.example.com/" + Accounts.RandomText(NewAccountRequestValidator.MaxUrlLength - 24),
            Accounts.RandomText(NewAccountRequestValidator.MaxUsernameLength, Printable),
            Accounts.RandomText(NewAccountRequestValidator.MaxSecretLength, Printable),
            Accounts.RandomText(NewAccountRequestValidator.MaxDisplayNameLength, Printable),
            [
                new("author_name", Accounts.RandomText(AccountOptions.MaxAuthorNameLength, Printable)),
                new("time_zone", "America/Argentina/ComodRivadavia"),
                new("custom_fields", "{" + string.Join(",", Enumerable.Range(0, AccountOptions.MaxCustomFields).Select(i => $"\"{1000000000000000000L + i}\":\"{Accounts.RandomText(AccountOptions.MaxPropertyNameLength, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")}\"")) + "}"),
            ]);
        var account = request.Create(TimeProvider.System);

        var metadata = codec.Encode(account);

        TestContext.Out.WriteLine($"every limit at once: {metadata.Length} characters");
        Assert.That(codec.Decode(metadata), Is.EqualTo(account));
    }

    [Test]
    public void A_Huge_Option_Value_Is_Refused_With_A_Clear_Message()
    {
        var account = Accounts.Sample(AccountOptions.Default with { AuthorName = Accounts.RandomText(6000) });

        var ex = Assert.Throws<EncodedValueTooLargeException>(() => codec.Encode(account));

        Assert.That(ex!.Message, Does.Contain("5000").And.Contain("metadata"));
        Assert.That(ex.Length, Is.GreaterThan(5000));
    }

    [Test]
    public void Every_Single_Character_Change_Is_Rejected()
    {
        var metadata = codec.Encode(Accounts.Sample());

        for (var i = 0; i < metadata.Length; i++)
        {
            foreach (var replacement in new[] { 'A', 'f', '_', '.', '0' })
            {
                if (metadata[i] == replacement)
                {
                    continue;
                }

                var altered = string.Concat(metadata.AsSpan(0, i), replacement.ToString(), metadata.AsSpan(i + 1));
                Assert.That(codec.TryDecode(altered, out _, out var reason), Is.False, $"position {i} -> '{replacement}'");
                Assert.That(reason, Is.Not.EqualTo(CodecRejection.InvalidContent), "authentication fails before the content is read");
            }
        }
    }

    [Test]
    public void Every_Single_Bit_Flip_In_The_Sealed_Bytes_Is_Rejected_As_Tampered()
    {
        var account = Accounts.Sample();
        var metadata = codec.Encode(account);
        var prefix = metadata[..(metadata.LastIndexOf('.') + 1)];
        var bytes = Base64Url.DecodeFromChars(metadata.AsSpan(prefix.Length));

        // The codec remembers strings it decoded (Zendesk repeats them on every pull): only the exact string counts.
        Assert.That(codec.Decode(metadata), Is.EqualTo(account));
        Assert.That(codec.Decode(metadata), Is.EqualTo(account), "the remembered decode gives the same account");

        for (var i = 0; i < bytes.Length; i++)
        {
            var altered = (byte[])bytes.Clone();
            altered[i] ^= (byte)(1 << (i % 8));

            var ex = Assert.Throws<MetadataRejectedException>(() => codec.Decode(prefix + Base64Url.EncodeToString(altered)));
            Assert.That(ex!.Reason, Is.EqualTo(CodecRejection.Tampered), $"byte {i}");
        }
    }

    [Test]
    public void A_Non_Canonical_Base64_Spelling_Of_The_Same_Bytes_Is_Rejected()
    {
        // Find metadata whose sealed length leaves unused bits in the last character, then set one of them.
        string metadata;
        var name = "x";
        do
        {
            metadata = codec.Encode(Accounts.Sample() with { DisplayName = name += "x" });
        }
        while (Base64Url.DecodeFromChars(metadata.AsSpan(metadata.LastIndexOf('.') + 1)).Length % 3 == 0);

        var last = Base64UrlAlphabet.IndexOf(metadata[^1], StringComparison.Ordinal);
        var variant = metadata[..^1] + Base64UrlAlphabet[last | 1];
        Assume.That(variant, Is.Not.EqualTo(metadata));

        Assert.That(codec.TryDecode(variant, out _, out var reason), Is.False);
        Assert.That(reason, Is.EqualTo(CodecRejection.Malformed));
    }

    [Test]
    public void Every_Truncation_Is_Rejected()
    {
        var metadata = codec.Encode(Accounts.Sample());

        for (var length = 0; length < metadata.Length; length++)
        {
            Assert.That(codec.TryDecode(metadata[..length], out _, out _), Is.False, $"length {length}");
        }
    }

    [Test]
    public void Swapping_Segments_Is_Rejected()
    {
        var first = codec.Encode(Accounts.Sample());
        ring.Rotate();
        var second = codec.Encode(Accounts.Sample());
        var a = first.Split('.');
        var b = second.Split('.');

        Assert.Multiple(() =>
        {
            Assert.That(Reason($"v2.{a[1]}.{a[2]}"), Is.EqualTo(CodecRejection.UnsupportedVersion));
            Assert.That(Reason($"s1.{a[1]}.{a[2]}"), Is.EqualTo(CodecRejection.UnsupportedVersion));
            Assert.That(Reason($"v1.{b[1]}.{a[2]}"), Is.EqualTo(CodecRejection.Tampered), "key id is bound as associated data");
            Assert.That(Reason($"v1.{a[1]}.{b[2]}"), Is.EqualTo(CodecRejection.Tampered));
            Assert.That(Reason($"v1.unknownkey.{a[2]}"), Is.EqualTo(CodecRejection.UnknownKey));
            Assert.That(Reason($"v1.{a[1]}.{a[2]}.extra"), Is.EqualTo(CodecRejection.Malformed));
            Assert.That(Reason($"v1.{a[1]}.{a[2]}="), Is.EqualTo(CodecRejection.Malformed));
            Assert.That(Reason($"v1.{a[1]}. {a[2]}"), Is.EqualTo(CodecRejection.Malformed));
        });
    }

    [Test]
    public void Metadata_From_Another_Service_Is_Rejected_As_Unknown_Key()
    {
        using var other = new TempDirectory();
        var foreign = new MetadataCodec(KeyRing.LoadOrCreate(other.KeyFile, TimeProvider.System)).Encode(Accounts.Sample());

        Assert.That(Reason(foreign), Is.EqualTo(CodecRejection.UnknownKey));
    }

    [Test]
    public void Metadata_Sealed_With_Other_Bytes_Under_The_Same_Key_Id_Is_Rejected_As_Tampered()
    {
        var mine = new MetadataCodec(KeyRing.FromConfiguredKeys([new("main", Convert.ToBase64String(new byte[32]))]));
        var theirs = new MetadataCodec(KeyRing.FromConfiguredKeys([new("main", Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray()))]));

        var ex = Assert.Throws<MetadataRejectedException>(() => mine.Decode(theirs.Encode(Accounts.Sample())));

        Assert.That(ex!.Reason, Is.EqualTo(CodecRejection.Tampered));
    }

    [TestCase(null, nameof(CodecRejection.Empty))]
    [TestCase("", nameof(CodecRejection.Empty))]
    [TestCase("   ", nameof(CodecRejection.Empty))]
    [TestCase("hello", nameof(CodecRejection.Malformed))]
    [TestCase("{\"url\":\"https://x\"}", nameof(CodecRejection.Malformed))]
    [TestCase("v1..", nameof(CodecRejection.Malformed))]
    [TestCase("v1.k.", nameof(CodecRejection.UnknownKey))]
    [TestCase("..", nameof(CodecRejection.Malformed))]
    [TestCase(".v1.k", nameof(CodecRejection.Malformed))]
    [TestCase("v1.käy.AAAA", nameof(CodecRejection.Malformed))]
    [TestCase("v1.a-key-id-that-is-too-long.AAAA", nameof(CodecRejection.Malformed))]
    [TestCase("V1.k.AAAA", nameof(CodecRejection.UnsupportedVersion))]
    public void Garbage_Is_Rejected_With_A_Typed_Reason(string? value, string expected)
    {
        Assert.That(Reason(value)?.ToString(), Is.EqualTo(expected));
    }

    [Test]
    public void Garbage_With_A_Known_Key_Id_Is_Rejected_Without_A_Cryptographic_Exception()
    {
        var id = ring.Current.Id;

        Assert.Multiple(() =>
        {
            Assert.That(Reason($"v1.{id}."), Is.EqualTo(CodecRejection.Malformed));
            Assert.That(Reason($"v1.{id}.AAAA"), Is.EqualTo(CodecRejection.Malformed), "shorter than nonce and tag");
            Assert.That(Reason($"v1.{id}.!!!!"), Is.EqualTo(CodecRejection.Malformed));
            Assert.That(Reason($"v1.{id}.{Base64Url.EncodeToString(new byte[40])}"), Is.EqualTo(CodecRejection.Tampered));
            Assert.That(Reason($"v1.{id}.{new string('A', 4990 - id.Length)}"), Is.EqualTo(CodecRejection.Tampered));
            Assert.That(Reason(new string('a', 5001)), Is.EqualTo(CodecRejection.TooLong));
        });
    }

    [Test]
    public void Rejection_Messages_Never_Echo_The_Input()
    {
        var value = $"v1.{ring.Current.Id}.SECRETMARKER{Base64Url.EncodeToString(new byte[40])}";

        var ex = Assert.Throws<MetadataRejectedException>(() => codec.Decode(value));

        Assert.That(ex!.Message, Does.Not.Contain("SECRETMARKER").And.Not.Contain(ring.Current.Id));
        Assert.That(ex.InnerException, Is.Null);
    }

    [Test]
    public void Old_Metadata_Decrypts_After_Rotation_And_New_Metadata_Uses_The_Newest_Key()
    {
        var account = Accounts.Sample();
        var old = codec.Encode(account);
        var oldKey = ring.Current.Id;

        var added = ring.Rotate();
        var fresh = codec.Encode(account);

        Assert.That(codec.Decode(old), Is.EqualTo(account));
        Assert.That(MetadataCodec.KeyIdOf(old), Is.EqualTo(oldKey));
        Assert.That(MetadataCodec.KeyIdOf(fresh), Is.EqualTo(added.Id));
        Assert.That(codec.IsSealedWithOlderKey(old), Is.True);
        Assert.That(codec.IsSealedWithOlderKey(fresh), Is.False);
        Assert.That(new MetadataCodec(KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System)).Decode(old), Is.EqualTo(account), "after a restart too");
    }

    [Test]
    public void A_Pull_State_Is_Not_Accepted_As_Metadata()
    {
        var state = new PullStateCodec(ring).Encode(new PullState(AccountIds.New(), "epoch", 1, null));

        Assert.That(Reason(state), Is.EqualTo(CodecRejection.UnsupportedVersion));
    }

    [Test]
    public void The_Record_Text_Does_Not_Show_The_Secret()
    {
        Assert.That(Accounts.Sample().ToString(), Does.Not.Contain("app-password"));
    }

    private CodecRejection? Reason(string? value) =>
        codec.TryDecode(value, out _, out var reason) ? null : reason;
}
