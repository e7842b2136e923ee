using ChannelService.Accounts;

namespace ChannelService.Web;

/// <summary>
/// The account a Zendesk request is about, as its metadata proved it (one per request, like TodoApi's
/// <c>CurrentUser</c>). <see cref="MetadataAuthenticationHandler"/> fills it; an action behind
/// <see cref="RequireAccountAttribute"/> takes it as a parameter; the request's log scope reads the id from it.
/// </summary>
internal sealed class CurrentAccount
{
    private AccountMetadata? account;

    /// <summary>The decoded account. Only actions behind <see cref="RequireAccountAttribute"/> can count on it.</summary>
    public AccountMetadata Account => account
        ?? throw new InvalidOperationException("No account was authenticated for this request: the endpoint needs [RequireAccount].");

    /// <summary>The account's id once its metadata decrypted; null before (or without) that.</summary>
    public string? Id => account?.AccountId;

    internal void Set(AccountMetadata decoded) => account = decoded;
}
