using System.Security.Cryptography;

namespace ChannelService.Accounts;

/// <summary>
/// One account as its metadata carries it (design §6). Zendesk stores the encrypted form and sends it back on
/// every pull, channelback and event, so this is the whole configuration of the account.
/// </summary>
internal sealed record AccountMetadata
{
    /// <summary>Short random id minted once (design §4); prefixes every thread id, so it never changes.</summary>
    public required string AccountId { get; init; }

    public required SourceKind Kind { get; init; }

    /// <summary>Collection URL (CalDAV), feed URL (ics: http, https or webcal) or callback URL (inbox).</summary>
    public required string Url { get; init; }

    public string? Username { get; init; }

    /// <summary>Password or token for the source. Never logged, never rendered back into a page.</summary>
    public string? Secret { get; init; }

    public string? DisplayName { get; init; }

    public AccountOptions Options { get; init; } = AccountOptions.Default;

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The Zendesk subdomain the admin UI was opened from, once known.</summary>
    public string? Subdomain { get; init; }

    /// <summary>The Zendesk instance push id, once known (needed to push inbox messages at once).</summary>
    public string? InstancePushId { get; init; }

    /// <summary>Keeps the secret out of exception messages and debugger displays that print the record.</summary>
    public override string ToString() =>
        $"AccountMetadata {{ AccountId = {AccountId}, Kind = {Kind.ToWire()}, Url = {Url}, Username = {Username}, Secret = {(Secret is null ? "" : "********")} }}";
}

/// <summary>Account ids: 12 characters of lower-case RFC 4648 base32, 60 random bits, URL- and external_id-safe.</summary>
internal static class AccountIds
{
    public const int Length = 12;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static string New() => RandomNumberGenerator.GetString(Alphabet, Length);

    public static bool IsValid(string? id) => id is { Length: Length } && id.All(c => Alphabet.Contains(c, StringComparison.Ordinal));
}
