using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using FluentValidation;

namespace ChannelService.Cli;

/// <summary>
/// <c>metadata new</c> mints account metadata exactly as the admin UI does (same validator, same codec), for scripted
/// setups and tests; <c>metadata show</c> decodes one with every secret masked.
/// </summary>
internal sealed class MetadataCommand : ICliCommand
{
    private const string Mask = "********";

    public string Name => "metadata";

    public string Summary => "mint (new) or inspect (show) account metadata";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args)
    {
        var subcommand = args.Count > 0 ? args[0] : null;
        var rest = args.Skip(1).ToArray();
        switch (subcommand)
        {
            case null:
                throw new CliUsageException("missing subcommand (new or show; see metadata --help)");
            case "--help" or "-h" or "help":
                await context.Stdout.WriteAsync(Usage);
                return 0;
            case "new" when CliArguments.WantsHelp(rest):
                await context.Stdout.WriteAsync(NewUsage);
                return 0;
            case "show" when CliArguments.WantsHelp(rest):
                await context.Stdout.WriteAsync(ShowUsage);
                return 0;
            case "new":
                return await NewAsync(context, rest);
            case "show":
                return await ShowAsync(context, rest);
            default:
                throw new CliUsageException("unknown metadata subcommand (expected new or show; see metadata --help)");
        }
    }

    private static async Task<int> NewAsync(CliContext context, IReadOnlyList<string> args)
    {
        var parsed = CliArguments.Parse(
            args,
            ["--kind", "--url", "--callback-url", "--username", "--name", "--option*", "--subdomain", "--push-id"],
            ["--password-stdin", "--push-token-stdin"]);
        var kind = parsed.Value("--kind") ?? throw new CliUsageException("--kind is required");
        if (parsed.Value("--url") is not null && parsed.Value("--callback-url") is not null)
        {
            throw new CliUsageException("give --url or --callback-url, not both");
        }

        var url = parsed.Value("--url") ?? parsed.Value("--callback-url")
            ?? throw new CliUsageException(kind == "inbox" ? "--callback-url is required for an inbox account" : "--url is required");

        var subdomain = parsed.Value("--subdomain");
        var pushId = parsed.Value("--push-id");
        if (subdomain is not null && !Zendesk.PushCredentialsStore.IsValidSubdomain(subdomain))
        {
            throw new CliUsageException("--subdomain must be the Zendesk subdomain only (letters, digits, hyphens), e.g. acme for acme.zendesk.com");
        }

        if ((pushId is not null || parsed.Has("--push-token-stdin")) && (pushId is null || !parsed.Has("--push-token-stdin") || subdomain is null))
        {
            throw new CliUsageException("push needs --subdomain, --push-id and --push-token-stdin together");
        }

        var options = new List<KeyValuePair<string, string>>();
        foreach (var option in parsed.Values("--option"))
        {
            var equals = option.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliUsageException("--option must be key=value");
            }

            options.Add(new(option[..equals], option[(equals + 1)..]));
        }

        string? secret = null;
        if (parsed.Has("--password-stdin"))
        {
            // First line only, so `printf '%s\n' "$PASS" | …` and here-strings both work; the newline is not part of it.
            secret = await context.Stdin.ReadLineAsync();
            if (string.IsNullOrEmpty(secret))
            {
                throw new CliUsageException("--password-stdin given but standard input holds no password");
            }
        }

        string? pushToken = null;
        if (parsed.Has("--push-token-stdin"))
        {
            // The line after the password when both are read from standard input.
            pushToken = (await context.Stdin.ReadLineAsync())?.Trim();
            if (string.IsNullOrEmpty(pushToken))
            {
                throw new CliUsageException("--push-token-stdin given but standard input holds no token" + (secret is null ? "" : " (it is read from the line after the password)"));
            }
        }

        var request = new NewAccountRequest(kind, url, parsed.Value("--username"), secret, parsed.Value("--name"), options);
        AccountMetadata account;
        try
        {
            account = request.Create(TimeProvider.System) with { Subdomain = subdomain?.ToLowerInvariant(), InstancePushId = pushId };
        }
        catch (ValidationException ex)
        {
            throw new CliUsageException(OneLine(string.Join(" ", ex.Errors.Select(e => e.ErrorMessage))));
        }

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

        // Inbox accounts and pushing accounts need the service's database (the inbox secret, the push token), so they
        // are registered there exactly as the admin UI registers them.
        if (account.Kind == SourceKind.Inbox || pushToken is not null)
        {
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
        }

        await context.Stdout.WriteLineAsync(metadata);
        return 0;
    }

    private static async Task<int> ShowAsync(CliContext context, IReadOnlyList<string> args)
    {
        var parsed = CliArguments.Parse(args, [], [], maxPositionals: 1);
        if (parsed.Positionals.Count == 0)
        {
            throw new CliUsageException("metadata show needs the metadata string (or - to read it from standard input)");
        }

        // Metadata is a bearer credential: `-` keeps it out of shell history and process lists.
        // Trimmed here (not in the codec): a pasted value often carries a stray space or newline.
        var value = (parsed.Positionals[0] == "-" ? await context.Stdin.ReadLineAsync() : parsed.Positionals[0])?.Trim();
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

    private static KeyRing LoadKeys(CliContext context, bool create)
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

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static string Usage => $"""
        Usage: ChannelService metadata new --kind <kind> --url <url> [options]
               ChannelService metadata show <metadata | ->

        Mints account metadata exactly as the admin UI does, or decodes one with secrets masked.
        Keys: Channel:Keys from configuration, else {"{"}Channel:DataDirectory{"}"}/keys.json (generated on first use).
        Run 'ChannelService metadata new --help' or 'metadata show --help' for details.

        """;

    private static string NewUsage => $"""
        Usage: ChannelService metadata new --kind <kind> --url <url> [--username U] [--password-stdin] [--name N] [--option key=value ...]
                                           [--subdomain S [--push-id ID --push-token-stdin]]
               ChannelService metadata new --kind inbox --callback-url <url> [--name N] [--subdomain S ...]

          --kind <kind>       {string.Join("|", SourceKinds.WireNames)}
          --url <url>         collection, feed or callback URL (http/https; webcal for ics); no credentials inside
          --username <u>      user name for the source
          --password-stdin    read the password or token from the first line of standard input
          --name <n>          display name of the account
          --option key=value  repeatable; keys: {string.Join(", ", AccountOptions.Keys)}
          --callback-url <u>  inbox: where agents' replies are POSTed (same as --url)
          --subdomain <s>     the Zendesk subdomain (acme for acme.zendesk.com)
          --push-id <id>      the instance_push_id Zendesk gave the account (with --push-token-stdin)
          --push-token-stdin  read the zendesk_access_token from standard input (the line after the password, if any)

        Prints the metadata string (at most 5000 characters) to standard output. Inbox accounts and accounts with push
        credentials are also registered in the service's database; an inbox account's signing secret is printed once,
        on standard error.

        """;

    private static string ShowUsage => """
        Usage: ChannelService metadata show <metadata>
               ChannelService metadata show -        (read the metadata from standard input)

        Decodes account metadata minted by this service and prints it as JSON with every secret masked,
        including the account id, the key id it was sealed with and all options with their effective values.
        Exit code 2 when it does not decode (altered, truncated, foreign key or not ours).

        """;
}
