using System.Globalization;
using ChannelService.Accounts;

namespace ChannelService.Cli;

/// <summary><c>keys list</c> and <c>keys rotate</c>: manage the master keys that seal metadata and sign pull state.</summary>
internal sealed class KeysCommand : ICliCommand
{
    public string Name => "keys";

    public string Summary => "list or rotate the keys that protect account metadata";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args)
    {
        var subcommand = args.Count > 0 ? args[0] : null;
        var rest = args.Skip(1).ToArray();
        if (subcommand is null)
        {
            throw new CliUsageException("missing subcommand (list or rotate; see keys --help)");
        }

        if (subcommand is "--help" or "-h" or "help" || CliArguments.WantsHelp(rest))
        {
            await context.Stdout.WriteAsync(Usage);
            return 0;
        }

        CliArguments.Parse(rest, [], []);
        switch (subcommand)
        {
            case "list":
            {
                var ring = Load(context, create: false);
                foreach (var key in ring.Keys)
                {
                    var created = key.CreatedAt == DateTimeOffset.MinValue ? "configured" : key.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                    await context.Stdout.WriteLineAsync($"{key.Id,-16}  {created,-20}{(key == ring.Current ? "  current" : "")}".TrimEnd());
                }

                return 0;
            }

            case "rotate":
            {
                var ring = Load(context, create: true);
                KeyRingKey added;
                try
                {
                    added = ring.Rotate();
                }
                catch (KeyRingException ex)
                {
                    await context.Stderr.WriteLineAsync($"error: {ex.Message}");
                    return 1;
                }

                await context.Stdout.WriteLineAsync($"Added key {added.Id}; new metadata is sealed with it, older keys still decrypt.");
                await context.Stdout.WriteLineAsync($"Back up {ring.FilePath}. Running instances read the new key within seconds and seal with it after a restart.");
                return 0;
            }

            default:
                throw new CliUsageException("unknown keys subcommand (expected list or rotate; see keys --help)");
        }
    }

    private static KeyRing Load(CliContext context, bool create)
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

    private const string Usage = """
        Usage: ChannelService keys list      key ids and creation dates (never key material); the current one seals
               ChannelService keys rotate    add a new newest key; old keys stay so existing metadata still decrypts

        Keys live in {Channel:DataDirectory}/keys.json (mode 0600), created on first start, unless Channel:Keys
        configures them (Channel:Keys:0:Id, Channel:Keys:0:Secret as base64 of 32 random bytes; the last one seals).
        Back the key file up: without it no account metadata held by Zendesk can be read.

        """;
}
