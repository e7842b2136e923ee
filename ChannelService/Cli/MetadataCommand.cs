using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Accounts;

namespace ChannelService.Cli;

/// <summary>
/// <c>metadata new</c> mints account metadata exactly as the admin UI does (same validator, same codec), for scripted
/// setups and tests; <c>metadata show</c> decodes one with every secret masked.
/// </summary>
internal static class MetadataCommand
{
    private const string Mask = "********";

    public static Command Create(CliContext context)
    {
        var command = new CliCommand("metadata", "Mint (new) or inspect (show) account metadata, exactly as the admin UI does.")
        {
            Notes = "Keys: Channel:Keys from configuration, else {Channel:DataDirectory}/keys.json (generated on first use).\n"
                + "Run 'ChannelService metadata new --help' or 'ChannelService metadata show --help' for details.",
        };
        CommandLine.RequireSubcommand(command);
        command.Subcommands.Add(New(context));
        command.Subcommands.Add(Show(context));
        return command;
    }

    private static CliCommand New(CliContext context)
    {
        var kind = CliOptions.Text("--kind", string.Join("|", SourceKinds.WireNames), "kind", required: true);
        var url = CliOptions.Text("--url", "collection, feed or callback URL (http/https; webcal for ics); no credentials inside", "url");
        var username = CliOptions.Text("--username", "user name for the source", "u");
        var passwordStdin = CliOptions.Flag("--password-stdin", "read the password or token from the first line of standard input");
        var name = CliOptions.Text("--name", "display name of the account", "n");
        var options = CliOptions.Pairs("--option", $"repeatable; keys: {string.Join(", ", AccountOptions.Keys)}");
        var callbackUrl = CliOptions.Text("--callback-url", "inbox: where agents' replies are POSTed (same as --url)", "url");
        var subdomain = CliOptions.Text("--subdomain", "the Zendesk subdomain (acme for acme.zendesk.com)", "s");
        var pushId = CliOptions.Text("--push-id", "the instance_push_id Zendesk gave the account (with --push-token-stdin)", "id");
        var pushTokenStdin = CliOptions.Flag("--push-token-stdin", "read the zendesk_access_token from standard input (the line after the password, if any)");
        var command = new CliCommand("new", "Mint account metadata exactly as the admin UI does (same validator, same codec).")
        {
            Usage =
            [
                "metadata new --kind <kind> --url <url> [--username U] [--password-stdin] [--name N] [--option key=value ...]",
                "             [--subdomain S [--push-id ID --push-token-stdin]]",
                "metadata new --kind inbox --callback-url <url> [--name N] [--subdomain S ...]",
            ],
            Notes = """
                Prints the metadata string (at most 5000 characters) to standard output. Every account is also registered in the
                service's database (dashboard, accounts list); an inbox account's signing secret is printed once,
                on standard error. Secrets are read from standard input only, never from the command line.
                """,
        };
        foreach (var option in new Option[] { kind, url, username, passwordStdin, name, options, callbackUrl, subdomain, pushId, pushTokenStdin })
        {
            command.Options.Add(option);
        }

        command.SetAction(async result => await NewAsync(context, new NewArguments(
            result.GetValue(kind)!,
            result.GetValue(url),
            result.GetValue(callbackUrl),
            result.GetValue(username),
            result.GetValue(name),
            result.GetValue(options) ?? [],
            result.GetValue(subdomain),
            result.GetValue(pushId),
            result.GetValue(passwordStdin),
            result.GetValue(pushTokenStdin))));
        return command;
    }

    private static CliCommand Show(CliContext context)
    {
        var value = new Argument<string>("metadata") { Description = "the metadata string, or - to read it from standard input" };
        var command = new CliCommand("show", "Decode account metadata minted by this service and print it as JSON with every secret masked.")
        {
            Usage = ["metadata show <metadata>", "metadata show -        (read the metadata from standard input)"],
            Notes = """
                Prints the account id, the key id it was sealed with and all options with their effective values.
                Exit code 2 when it does not decode (altered, truncated, foreign key or not ours).
                """,
        };
        command.Arguments.Add(value);
        command.SetAction(async result => await ShowAsync(context, result.GetValue(value)!));
        return command;
    }

    private sealed record NewArguments(
        string Kind,
        string? Url,
        string? CallbackUrl,
        string? Username,
        string? Name,
        KeyValuePair<string, string>[] Options,
        string? Subdomain,
        string? PushId,
        bool PasswordStdin,
        bool PushTokenStdin);

    private static async Task<int> NewAsync(CliContext context, NewArguments args)
    {
        var kind = args.Kind;
        if (args.Url is not null && args.CallbackUrl is not null)
        {
            throw new CliUsageException("give --url or --callback-url, not both");
        }

        var url = args.Url ?? args.CallbackUrl
            ?? throw new CliUsageException(kind == "inbox" ? "--callback-url is required for an inbox account" : "--url is required");

        var subdomain = args.Subdomain;
        var pushId = args.PushId;
        if (subdomain is not null && !Zendesk.PushCredentialsStore.IsValidSubdomain(subdomain))
        {
            throw new CliUsageException("--subdomain must be the Zendesk subdomain only (letters, digits, hyphens), e.g. acme for acme.zendesk.com");
        }

        if ((pushId is not null || args.PushTokenStdin) && (pushId is null || !args.PushTokenStdin || subdomain is null))
        {
            throw new CliUsageException("push needs --subdomain, --push-id and --push-token-stdin together");
        }

        string? secret = null;
        if (args.PasswordStdin)
        {
            // First line only, so `printf '%s\n' "$PASS" | …` and here-strings both work; the newline is not part of it.
            secret = await context.Stdin.ReadLineAsync();
            if (string.IsNullOrEmpty(secret))
            {
                throw new CliUsageException("--password-stdin given but standard input holds no password");
            }
        }

        string? pushToken = null;
        if (args.PushTokenStdin)
        {
            // The line after the password when both are read from standard input.
            pushToken = (await context.Stdin.ReadLineAsync())?.Trim();
            if (string.IsNullOrEmpty(pushToken))
            {
                throw new CliUsageException("--push-token-stdin given but standard input holds no token" + (secret is null ? "" : " (it is read from the line after the password)"));
            }
        }

        var request = new NewAccountRequest(kind, url, args.Username, secret, args.Name, args.Options);
        var account = AccountRequests.Create(request) with { Subdomain = subdomain?.ToLowerInvariant(), InstancePushId = pushId };

        var codec = new MetadataCodec(LoadKeys(context, create: true));
        string metadata;
        try
        {
            metadata = codec.Encode(account);
        }
        catch (EncodedValueTooLargeException ex)
        {
            throw new CliUsageException(ex.Message);
        }

        // Every minted account is registered, as the admin UI's Save does, so it shows on the dashboard and in accounts
        // list before Zendesk's first pull. The registry holds no secret (the source's credentials stay in the
        // metadata); inbox accounts and pushing accounts also keep their secret or push token there, sealed.
        var store = await CliStore.OpenAsync(context, createKeys: true);
        await store.Accounts.UpsertAsync(account);
        if (pushToken is not null)
        {
            try
            {
                await store.PushCredentials.SaveAsync(account.AccountId, subdomain!, pushId!, pushToken);
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message);
            }
        }

        if (account.Kind == SourceKind.Inbox)
        {
            var inboxSecret = await store.Inbox.RegisterAsync(account.AccountId, new Uri(account.Url));
            await context.Stderr.WriteLineAsync($"Inbox account {account.AccountId}: messages go to POST /inbox/{account.AccountId}, signed with this secret (shown once; replace it with accounts rotate-inbox-secret):");
            await context.Stderr.WriteLineAsync(inboxSecret);
        }

        await context.Stdout.WriteLineAsync(metadata);
        return 0;
    }

    private static async Task<int> ShowAsync(CliContext context, string argument)
    {
        // Metadata is a bearer credential: `-` keeps it out of shell history and process lists.
        // Trimmed here (not in the codec): a pasted value often carries a stray space or newline.
        var value = (argument == "-" ? await context.Stdin.ReadLineAsync() : argument)?.Trim();
        var codec = new MetadataCodec(LoadKeys(context, create: false));
        AccountMetadata account;
        try
        {
            account = codec.Decode(value);
        }
        catch (MetadataRejectedException ex)
        {
            throw new CliUsageException(ex.Message);
        }

        var options = new JsonObject();
        foreach (var (key, option) in account.Options.ToDictionary(includeDefaults: true))
        {
            options[key] = key == "custom_fields" ? JsonNode.Parse(option) : option;
        }

        var json = new JsonObject
        {
            ["account_id"] = account.AccountId,
            ["kind"] = account.Kind.ToWire(),
            ["url"] = account.Url,
            ["username"] = account.Username,
            ["password"] = account.Secret is null ? null : Mask,
            ["display_name"] = account.DisplayName,
            ["created_at"] = account.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["subdomain"] = account.Subdomain,
            ["instance_push_id"] = account.InstancePushId,
            ["key_id"] = MetadataCodec.KeyIdOf(value),
            ["options"] = options,
        };
        await context.Stdout.WriteLineAsync(json.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));
        return 0;
    }

    internal static KeyRing LoadKeys(CliContext context, bool create)
    {
        try
        {
            return AccountsConfiguration.LoadKeyRing(context.Configuration, TimeProvider.System, create);
        }
        catch (KeyRingException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }
}
