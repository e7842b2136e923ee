using ChannelService.Accounts;
using ChannelService.Inbox;
using ChannelService.Zendesk;
using FluentValidation;

namespace ChannelService.Admin;

/// <summary>What the admin UI saves: the account's fields as entered, and what the flow carried from Zendesk.</summary>
/// <param name="Existing">The account being edited; null for a new one.</param>
/// <param name="Subdomain">The Zendesk subdomain the admin UI was opened from; empty when Zendesk sent none.</param>
internal sealed record AccountSaveRequest(NewAccountRequest Fields, AccountMetadata? Existing, string? Subdomain, string? InstancePushId);

/// <summary>An account ready to save, or why it is not.</summary>
internal abstract record AccountDraft
{
    /// <summary>The account and its metadata, the string Zendesk will store for it.</summary>
    public sealed record Ready(AccountMetadata Account, string Metadata) : AccountDraft;

    /// <summary>The account rules refused the fields (plain words, naming the field).</summary>
    public sealed record Invalid(string Message) : AccountDraft;

    /// <summary>The metadata would be longer than Zendesk stores (5000 characters).</summary>
    public sealed record TooLarge : AccountDraft;
}

/// <summary>
/// Saving an account (design §9), without HTTP: builds the account and its metadata from what was entered
/// (<see cref="Draft"/>), then makes it known to the service (<see cref="SaveAsync"/>): the registry row, the push
/// credentials Zendesk handed over, and for a webhook inbox its registration with a signing secret. The admin UI
/// calls both around its own bookkeeping (the flow can be saved only once); tests call them directly.
/// </summary>
internal sealed class AccountSetup(
    MetadataCodec codec,
    IValidator<NewAccountRequest> validator,
    AccountRegistry registry,
    PushCredentialsStore pushCredentials,
    InboxAccountStore inboxAccounts,
    TimeProvider time)
{
    /// <summary>The account to save: a new one, or the edited one with its id, creation time and push id kept.</summary>
    public AccountDraft Draft(AccountSaveRequest request)
    {
        var result = validator.Validate(request.Fields);
        if (!result.IsValid)
        {
            return new AccountDraft.Invalid(string.Join(" ", result.Errors.Select(e => e.ErrorMessage)));
        }

        var existing = request.Existing;
        var fresh = request.Fields.Create(time);
        var account = (existing is null ? fresh : existing with
        {
            Kind = fresh.Kind,
            Url = fresh.Url,
            Username = fresh.Username,
            Secret = fresh.Secret,
            DisplayName = fresh.DisplayName,
            Options = fresh.Options,
        }) with
        {
            Subdomain = string.IsNullOrEmpty(request.Subdomain) ? existing?.Subdomain : request.Subdomain,
            InstancePushId = request.InstancePushId ?? existing?.InstancePushId,
        };

        try
        {
            return new AccountDraft.Ready(account, codec.Encode(account));
        }
        catch (EncodedValueTooLargeException)
        {
            return new AccountDraft.TooLarge();
        }
    }

    /// <summary>
    /// Makes the account known to the service (dashboard, accounts list) and keeps the push credentials Zendesk issued
    /// with this save (a new token on every create and edit, spec §8), sealed. A new webhook inbox gets its signing
    /// secret, returned to be shown once; an edited one keeps its secret and takes the new callback URL.
    /// </summary>
    /// <returns>The new inbox's signing secret; null for any other account.</returns>
    public async Task<string?> SaveAsync(AccountMetadata account, string? instancePushId, string? zendeskAccessToken, CancellationToken cancellationToken)
    {
        await registry.UpsertAsync(account, cancellationToken);
        if (instancePushId is { Length: > 0 } pushId && zendeskAccessToken is { Length: > 0 } token && account.Subdomain is { Length: > 0 } subdomain)
        {
            await pushCredentials.SaveAsync(account.AccountId, subdomain, pushId, token, cancellationToken);
        }

        if (account.Kind == SourceKind.Inbox && Uri.TryCreate(account.Url, UriKind.Absolute, out var callback)
            && !await inboxAccounts.UpdateCallbackAsync(account.AccountId, callback, cancellationToken))
        {
            return await inboxAccounts.RegisterAsync(account.AccountId, callback, cancellationToken);
        }

        return null;
    }
}
