using ChannelService.Accounts;
using ChannelService.Admin;
using ChannelService.Inbox;
using ChannelService.Tests.Support;
using ChannelService.Zendesk;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Admin;

/// <summary>Saving an account as the admin UI does, without HTTP: metadata, registry, push credentials, inbox registration.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
public sealed class AccountSetupTests
{
    private ServiceFactory factory = null!;
    private AsyncServiceScope scope;
    private AccountSetup setup = null!;

    [SetUp]
    public void SetUp()
    {
        factory = new ServiceFactory();
        scope = factory.Services.CreateAsyncScope();
        setup = scope.ServiceProvider.GetRequiredService<AccountSetup>();
    }

    [TearDown]
    public async Task TearDown()
    {
        await scope.DisposeAsync();
        factory.Dispose();
    }

    /// <summary>Every account option at a value other than its default (an option added later must be added here).</summary>
    internal static readonly Dictionary<string, string> EveryOptionChanged = new(StringComparer.Ordinal)
    {
        ["tasks"] = "all",
        ["window_past_days"] = "7",
        ["window_future_days"] = "90",
        ["recurring"] = "series",
        ["time_zone"] = "Europe/Berlin",
        ["author_name"] = "Calendar bot",
        ["change_notes"] = "internal",
        ["reply_commands"] = "off",
        ["reply_target"] = "comment",
        ["event_replies"] = "on",
        ["locale"] = "de-DE",
        ["custom_fields"] = "{\"360001234567\":\"X-PRIORITY-CLASS\"}",
        ["ticket_properties"] = "off",
        ["task_requester"] = "X-REQUESTER",
        ["default_requester"] = "calendar@example.com",
        ["start_date_field"] = "360009876543",
        ["status_sync"] = "source_wins",
        ["due_sync"] = "off",
    };

    [Test]
    public void The_Test_Account_Changes_Every_Option()
    {
        var options = AccountOptions.Parse(EveryOptionChanged);

        Assert.That(options.ToDictionary().Keys, Is.EquivalentTo(AccountOptions.Keys), "every option differs from its default");
        Assert.That(options.ToDictionary(), Is.EquivalentTo(EveryOptionChanged));
    }

    [Test]
    public void An_Edit_Saved_Unchanged_Keeps_Every_Option()
    {
        // Arrange: the account as saved before, then its edit page as the admin UI fills it.
        var existing = ((AccountDraft.Ready)setup.Draft(new AccountSaveRequest(new NewAccountRequest("ics", "https://calendar.example.com/team.ics", null, null, "Team", [.. EveryOptionChanged]), null, "acme", null))).Account;
        var form = AdminForm.FromAccount(existing, "Team");

        // Act: saved as the admin UI saves it.
        var fields = new NewAccountRequest(form.Kind, form.EffectiveUrl, form.Username, existing.Secret, form.DisplayName, form.OptionPairs(existing.Options));
        var edited = ((AccountDraft.Ready)setup.Draft(new AccountSaveRequest(fields, existing, "acme", null))).Account;

        // Assert
        Assert.That(edited.Options.ToDictionary(), Is.EquivalentTo(EveryOptionChanged));
        Assert.That(edited.Options, Is.EqualTo(existing.Options));
    }

    [Test]
    public void An_Edit_Changes_Only_What_The_Admin_Changed()
    {
        // Arrange
        var existing = ((AccountDraft.Ready)setup.Draft(new AccountSaveRequest(new NewAccountRequest("ics", "https://calendar.example.com/team.ics", null, null, "Team", [.. EveryOptionChanged]), null, "acme", null))).Account;
        var form = AdminForm.FromAccount(existing, "Team") with { WindowFutureDays = "14", CustomFields = "", AuthorName = "" };

        // Act
        var fields = new NewAccountRequest(form.Kind, form.EffectiveUrl, form.Username, existing.Secret, form.DisplayName, form.OptionPairs(existing.Options));
        var edited = ((AccountDraft.Ready)setup.Draft(new AccountSaveRequest(fields, existing, "acme", null))).Account;

        // Assert: emptied fields are cleared, the changed one changes, every other option is kept.
        var expected = new Dictionary<string, string>(EveryOptionChanged) { ["window_future_days"] = "14" };
        expected.Remove("custom_fields");
        expected.Remove("author_name");
        Assert.That(edited.Options.ToDictionary(), Is.EquivalentTo(expected));
    }

    private static NewAccountRequest Inbox(string callback = "https://hooks.example.net/replies", string? name = "Shop") =>
        new("inbox", callback, null, null, name, []);

    [Test]
    public async Task A_New_Inbox_Account_Is_Registered_With_Its_Push_Credentials_And_A_Secret_Shown_Once()
    {
        // Arrange
        var draft = (AccountDraft.Ready)setup.Draft(new AccountSaveRequest(Inbox(), null, "acme", "push-1"));

        // Act
        var secret = await setup.SaveAsync(draft.Account, "push-1", "zendesk-token", CancellationToken.None);

        // Assert
        var id = draft.Account.AccountId;
        Assert.That(factory.Services.GetRequiredService<MetadataCodec>().TryDecode(draft.Metadata, out var decoded, out _), Is.True);
        Assert.That(decoded!.Subdomain, Is.EqualTo("acme"));
        Assert.That(decoded.InstancePushId, Is.EqualTo("push-1"));
        Assert.That((await factory.Services.GetRequiredService<AccountRegistry>().GetAsync(id))?.Name, Is.EqualTo("Shop"));
        Assert.That((await factory.Services.GetRequiredService<PushCredentialsStore>().GetAsync(id))?.Token, Is.EqualTo("zendesk-token"));
        Assert.That(secret, Does.StartWith("isk_"));
        Assert.That((await factory.Services.GetRequiredService<InboxAccountStore>().GetAsync(id))?.Secret, Is.EqualTo(secret));
    }

    [Test]
    public async Task An_Edit_Keeps_The_Account_And_Its_Secret_And_Moves_The_Callback()
    {
        // Arrange
        var first = (AccountDraft.Ready)setup.Draft(new AccountSaveRequest(Inbox(), null, "acme", null));
        var secret = await setup.SaveAsync(first.Account, null, null, CancellationToken.None);

        // Act
        var edited = (AccountDraft.Ready)setup.Draft(new AccountSaveRequest(Inbox("https://hooks.example.net/v2", "Shop 2"), first.Account, "", null));
        var again = await setup.SaveAsync(edited.Account, null, null, CancellationToken.None);

        // Assert
        var inbox = await factory.Services.GetRequiredService<InboxAccountStore>().GetAsync(first.Account.AccountId);
        Assert.Multiple(() =>
        {
            Assert.That(edited.Account.AccountId, Is.EqualTo(first.Account.AccountId));
            Assert.That(edited.Account.CreatedAt, Is.EqualTo(first.Account.CreatedAt));
            Assert.That(edited.Account.Subdomain, Is.EqualTo("acme"), "an edit opened without a subdomain keeps the saved one");
            Assert.That(again, Is.Null, "the secret is shown only when the inbox is first saved");
            Assert.That(inbox?.Secret, Is.EqualTo(secret));
            Assert.That(inbox?.CallbackUrl, Is.EqualTo(new Uri("https://hooks.example.net/v2")));
        });
    }

    [Test]
    public async Task Fields_The_Account_Rules_Refuse_Save_Nothing_And_Say_Why()
    {
        // Act
        var draft = setup.Draft(new AccountSaveRequest(new NewAccountRequest("ics", "https://user:pw@example.org/feed.ics", null, null, null, []), null, "acme", null));

        // Assert
        Assert.That(draft, Is.TypeOf<AccountDraft.Invalid>());
        Assert.That(((AccountDraft.Invalid)draft).Message, Does.Contain("url must not contain a user name or password"));
        Assert.That(await factory.Services.GetRequiredService<AccountRegistry>().ListAsync(), Is.Empty);
    }

    [Test]
    public void Settings_Too_Long_For_Zendesk_Are_Refused_Before_Anything_Is_Saved()
    {
        // Arrange: every field within its own limit, but filled with random characters from across the Basic
        // Multilingual Plane (three UTF-8 bytes each, which compression cannot shrink), together past 5000 characters.
        var random = new Random(5000);
        string Wide(int length) => new(Enumerable.Range(0, length).Select(_ => (char)random.Next(0x0100, 0xD800)).ToArray());
        string Letters(int length) => new(Enumerable.Range(0, length).Select(_ => (char)('A' + random.Next(26))).ToArray());
        var fields = string.Join(",", Enumerable.Range(1, AccountOptions.MaxCustomFields).Select(i => $"\"{3600000000 + i}\":\"X-{Letters(60)}\""));
        var request = new NewAccountRequest(
            "caldav-tasks", "https://dav.example.com/" + Letters(900).ToLowerInvariant(), Wide(200), Wide(1000), Wide(100), [new("custom_fields", "{" + fields + "}"), new("author_name", Wide(100))]);

        // Act
        var draft = setup.Draft(new AccountSaveRequest(request, null, "acme", null));

        // Assert
        Assert.That(draft, Is.TypeOf<AccountDraft.TooLarge>());
    }
}
