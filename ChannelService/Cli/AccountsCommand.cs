using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Accounts;

namespace ChannelService.Cli;

/// <summary>
/// <c>accounts list|show|rotate-inbox-secret|retry-parked</c>: the account registry for operators. Never prints a
/// secret except the fresh inbox secret that rotate-inbox-secret exists to hand out.
/// </summary>
internal static class AccountsCommand
{
    private const string Notes = "Uses Channel:DataDirectory (database and keys.json) or Channel:Keys, like the service; runs beside a running service.";

    public static Command Create(CliContext context)
    {
        var command = new CliCommand("accounts", "List and show accounts; rotate an inbox secret; retry parked outbox items.") { Notes = Notes };
        CommandLine.RequireSubcommand(command);

        var list = new CliCommand("list", "Every registered account: id, kind, subdomain, status, name (no secrets).") { Notes = Notes };
        list.SetAction(async _ => await ListAsync(context));
        command.Subcommands.Add(list);

        command.Subcommands.Add(WithAccountId(
            "show", "One account as JSON: status, last pull, push id (token masked), inbox callback, backlog.", id => ShowAsync(context, id)));
        command.Subcommands.Add(WithAccountId(
            "rotate-inbox-secret", "Replace an inbox account's signing secret and print the new one (the only time it is shown).", id => RotateAsync(context, id)));
        command.Subcommands.Add(WithAccountId(
            "retry-parked", "Queue again the outbox items Zendesk refused (processing_error, unknown parent).", id => RetryAsync(context, id)));
        return command;
    }

    private static CliCommand WithAccountId(string name, string description, Func<string, Task<int>> run)
    {
        var id = new Argument<string>("account id") { Description = "12 characters a-z, 2-7 (see accounts list)" };
        var command = new CliCommand(name, description) { Notes = Notes };
        command.Arguments.Add(id);
        command.SetAction(async result =>
        {
            var value = result.GetValue(id)!;
            return AccountIds.IsValid(value)
                ? await run(value)
                : throw new CliUsageException("that is not an account id (12 characters a-z, 2-7; see accounts list)");
        });
        return command;
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
}
