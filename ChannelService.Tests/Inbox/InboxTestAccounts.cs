using ChannelService.Accounts;
using ChannelService.Inbox;
using ChannelService.Tests.Support;
using ChannelService.Zendesk;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Inbox;

internal static class InboxTestAccounts
{
    /// <summary>Registers an inbox account as the admin UI would; with a token, also its push credentials.</summary>
    public static async Task<(string AccountId, string Secret)> CreateAsync(ServiceFactory factory, string? pushToken = null, string callbackUrl = "https://hooks.example.net/replies")
    {
        var account = new NewAccountRequest("inbox", callbackUrl, null, null, "Support inbox", []).Create(TimeProvider.System) with { Subdomain = "acme" };
        await factory.Services.GetRequiredService<AccountRegistry>().UpsertAsync(account);
        var secret = await factory.Services.GetRequiredService<InboxAccountStore>().RegisterAsync(account.AccountId, new Uri(callbackUrl));
        if (pushToken is not null)
        {
            await factory.Services.GetRequiredService<PushCredentialsStore>().SaveAsync(account.AccountId, "acme", "push-id-" + account.AccountId, pushToken);
        }

        return (account.AccountId, secret);
    }
}
