using ChannelService.Accounts;
using ChannelService.Sources;
using ChannelService.Sources.Feeds;
using ChannelService.Sources.Http;

namespace ChannelService.Pull;

/// <summary>Builds the source for a decrypted account.</summary>
internal interface ISourceFactory
{
    ISource Create(AccountMetadata account);
}

internal sealed class SourceFactory(SourceHttpClient http, SourceItemStore store) : ISourceFactory
{
    public ISource Create(AccountMetadata account) => account.Kind switch
    {
        Accounts.SourceKind.Ics => new IcsFeedSource(
            new IcsFeedSettings(account.AccountId, account.Url, account.Secret is null ? null
                : account.Username is null ? SourceCredentials.Bearer(account.Secret) : SourceCredentials.Basic(account.Username, account.Secret)),
            http,
            store),
        _ => throw new SourceException(SourceErrorKind.Protocol, $"Accounts of kind {account.Kind.ToWire()} cannot be pulled by this version yet."),
    };
}
