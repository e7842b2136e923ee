using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Accounts;

namespace ChannelService.Cli;

/// <summary>
/// <c>accounts list|show|rotate-inbox-secret|retry-parked</c>: the account registry for operators. Never prints a
/// secret except the fresh inbox secret that rotate-inbox-secret exists to hand out.
/// </summary>
internal sealed class AccountsCommand : ICliCommand
{
    public string Name => "accounts";

    public string Summary => "list and show accounts; rotate an inbox secret; retry parked outbox items";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args)
    {
        var subcommand = args.Count > 0 ? args[0] : null;
        var rest = args.Skip(1).ToArray();
        if (subcommand is "--help" or "-h" or "help" || CliArguments.WantsHelp(rest))
        {
            await context.Stdout.WriteAsync(Usage);
            return 0;
        }

        switch (subcommand)
        {
            case null:
                throw new CliUsageException("missing subcommand (list, show, rotate-inbox-secret or retry-parked; see accounts --help)");
            case "list":
                CliArguments.Parse(rest, [], []);
                return await ListAsync(context);
            case "show":
                return await ShowAsync(context, AccountIdArgument(rest, "show"));
            case "rotate-inbox-secret":
                return await RotateAsync(context, AccountIdArgument(rest, "rotate-inbox-secret"));
            case "retry-parked":
                return await RetryAsync(context, AccountIdArgument(rest, "retry-parked"));
            default:
                throw new CliUsageException("unknown accounts subcommand (expected list, show, rotate-inbox-secret or retry-parked)");
        }
    }

    private static string AccountIdArgument(IReadOnlyList<string> args, string subcommand)
    {
        var parsed = CliArguments.Parse(args, [], [], maxPositionals: 1);
        var id = parsed.Positionals.Count == 1 ? parsed.Positionals[0] : throw new CliUsageException($"accounts {subcommand} needs an account id");
        return AccountIds.IsValid(id) ? id : throw new CliUsageException("that is not an account id (12 characters a-z, 2-7; see accounts list)");
    }

    private static async Task<int> ListAsync(CliContext context)
    {
        var store = await CliStore.OpenAsync(context, createKeys: false);
        var accounts = await store.Accounts.ListAsync();
        if (accounts.Count == 0)
        {
            await context.Stdout.WriteLineAsync("No accounts.");
            return 0;
        }

        await context.Stdout.WriteLineAsync($"{"ACCOUNT",-13} {"KIND",-16} {"SUBDOMAIN",-20} {"STATUS",-12} NAME");
        foreach (var a in accounts)
        {
            await context.Stdout.WriteLineAsync($"{a.AccountId,-13} {a.Kind,-16} {a.Subdomain ?? "-",-20} {(a.DeactivatedAt is null ? "active" : "deactivated"),-12} {a.Name}");
        }

        return 0;
    }

    private static async Task<int> ShowAsync(CliContext context, string accountId)
    {
        var store = await CliStore.OpenAsync(context, createKeys: false);
        var account = await store.Accounts.GetAsync(accountId);
        if (account is null)
        {
            await context.Stderr.WriteLineAsync($"error: no account {accountId}");
            return 1;
        }

        var inbox = await store.Inbox.GetAsync(accountId);
        var push = await store.PushCredentials.GetAsync(accountId);
        var json = new JsonObject
        {
            ["account_id"] = account.AccountId,
            ["kind"] = account.Kind,
            ["name"] = account.Name,
            ["subdomain"] = account.Subdomain,
            ["created_at"] = account.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["deactivated_at"] = account.DeactivatedAt?.ToString("O", CultureInfo.InvariantCulture),
            ["last_error"] = account.LastError,
            ["last_pull_at"] = account.LastPullAt?.ToString("O", CultureInfo.InvariantCulture),
            ["last_pull_result"] = account.LastPullResult,
            ["push"] = push is null ? null : new JsonObject { ["subdomain"] = push.Subdomain, ["instance_push_id"] = push.InstancePushId, ["token"] = "********" },
            ["inbox_callback_url"] = inbox?.CallbackUrl.AbsoluteUri,
            ["outbox_pending"] = await store.Outbox.PendingCountAsync(accountId),
        };
        await context.Stdout.WriteLineAsync(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        return 0;
    }

    private static async Task<int> RotateAsync(CliContext context, string accountId)
    {
        var store = await CliStore.OpenAsync(context, createKeys: false);
        var secret = await store.Inbox.RotateSecretAsync(accountId);
        if (secret is null)
        {
            await context.Stderr.WriteLineAsync($"error: {accountId} is not an inbox account of this service");
            return 1;
        }

        // Only the secret on standard output, so `secret=$(ChannelService accounts rotate-inbox-secret ID)` works.
        await context.Stdout.WriteLineAsync(secret);
        await context.Stderr.WriteLineAsync("The old secret no longer verifies; configure this one in the sender now. It is not shown again.");
        return 0;
    }

    private static async Task<int> RetryAsync(CliContext context, string accountId)
    {
        var store = await CliStore.OpenAsync(context, createKeys: false);
        var count = await store.Outbox.RetryParkedAsync(accountId);
        await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{count} parked item(s) queued again; the running service sends them within seconds."));
        return 0;
    }

    private const string Usage = """
        Usage: ChannelService accounts list
               ChannelService accounts show <account id>
               ChannelService accounts rotate-inbox-secret <account id>
               ChannelService accounts retry-parked <account id>

          list                  every registered account: id, kind, subdomain, status, name (no secrets)
          show                  one account as JSON: status, last pull, push id (token masked), inbox callback, backlog
          rotate-inbox-secret   replaces an inbox account's signing secret and prints the new one (only time it is shown)
          retry-parked          queues the outbox items Zendesk refused (processing_error, unknown parent) again

        Uses Channel:DataDirectory (database and keys.json) or Channel:Keys, like the service.

        """;
}
