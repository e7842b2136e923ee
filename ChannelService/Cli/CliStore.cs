using ChannelService.Accounts;
using ChannelService.Data;
using ChannelService.Events;
using ChannelService.Inbox;
using ChannelService.Zendesk;

namespace ChannelService.Cli;

/// <summary>The service's stores for command-line runs: the same database and key ring the web host uses.</summary>
internal sealed class CliStore
{
    private CliStore(Database database, KeyRing keys)
    {
        var time = TimeProvider.System;
        var sealer = new SecretSealer(keys);
        Codec = new MetadataCodec(keys);
        Accounts = new AccountRegistry(database, time);
        PushCredentials = new PushCredentialsStore(database, sealer, time);
        Inbox = new InboxAccountStore(database, sealer, time);
        Outbox = new Outbox(database, time);
        Errors = new ServiceErrors(database, time);
    }

    public MetadataCodec Codec { get; }

    public AccountRegistry Accounts { get; }

    public PushCredentialsStore PushCredentials { get; }

    public InboxAccountStore Inbox { get; }

    public Outbox Outbox { get; }

    public ServiceErrors Errors { get; }

    /// <summary>Opens (and migrates) the database in the data folder. Throws <see cref="CliUsageException"/> for unusable keys.</summary>
    public static async Task<CliStore> OpenAsync(CliContext context, bool createKeys)
    {
        KeyRing keys;
        try
        {
            keys = AccountsConfiguration.LoadKeyRing(context.Configuration, TimeProvider.System, createKeys);
        }
        catch (KeyRingException ex)
        {
            throw new CliUsageException(ex.Message);
        }

        var database = Database.FromSettings(AccountsConfiguration.DataDirectory(context.Configuration), context.Configuration["Channel:Database"]);
        await database.InitializeAsync();
        return new CliStore(database, keys);
    }
}
