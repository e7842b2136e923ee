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
        var parsed = CliArguments.Parse(args, ["--kind", "--url", "--username", "--name", "--option*"], ["--password-stdin"]);
        var kind = parsed.Value("--kind") ?? throw new CliUsageException("--kind is required");
        var url = parsed.Value("--url") ?? throw new CliUsageException("--url is required");

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

        var request = new NewAccountRequest(kind, url, parsed.Value("--username"), secret, parsed.Value("--name"), options);
        AccountMetadata account;
        try
        {
            account = request.Create(TimeProvider.System);
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

          --kind <kind>       {string.Join("|", SourceKinds.WireNames)}
          --url <url>         collection, feed or callback URL (http/https; webcal for ics); no credentials inside
          --username <u>      user name for the source
          --password-stdin    read the password or token from the first line of standard input
          --name <n>          display name of the account
          --option key=value  repeatable; keys: {string.Join(", ", AccountOptions.Keys)}

        Prints the metadata string (at most 5000 characters) to standard output.

        """;

    private static string ShowUsage => """
        Usage: ChannelService metadata show <metadata>
               ChannelService metadata show -        (read the metadata from standard input)

        Decodes account metadata minted by this service and prints it as JSON with every secret masked,
        including the account id, the key id it was sealed with and all options with their effective values.
        Exit code 2 when it does not decode (altered, truncated, foreign key or not ours).

        """;
}
