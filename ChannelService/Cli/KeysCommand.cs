using System.CommandLine;
using System.Globalization;
using ChannelService.Accounts;

namespace ChannelService.Cli;

/// <summary><c>keys list</c> and <c>keys rotate</c>: manage the master keys that seal metadata and sign pull state.</summary>
internal static class KeysCommand
{
    private const string Notes = """
        Keys live in {Channel:DataDirectory}/keys.json (mode 0600), created on first start, unless Channel:Keys
        configures them (Channel:Keys:0:Id, Channel:Keys:0:Secret as base64 of 32 random bytes; the last one seals).
        Back the key file up: without it no account metadata held by Zendesk can be read.
        """;

    public static Command Create(CliContext context)
    {
        var command = new CliCommand("keys", "List or rotate the keys that protect account metadata.") { Notes = Notes };
        CommandLine.RequireSubcommand(command);

        var list = new CliCommand("list", "Key ids and creation dates (never key material); the current one seals.") { Notes = Notes };
        list.SetAction(async _ => await ListAsync(context));
        command.Subcommands.Add(list);

        var rotate = new CliCommand("rotate", "Add a new newest key; old keys stay so existing metadata still decrypts.") { Notes = Notes };
        rotate.SetAction(async _ => await RotateAsync(context));
        command.Subcommands.Add(rotate);
        return command;
    }

    private static async Task<int> ListAsync(CliContext context)
    {
        var ring = Load(context, create: false);
        foreach (var key in ring.Keys)
        {
            var created = key.CreatedAt == DateTimeOffset.MinValue ? "configured" : key.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            await context.Stdout.WriteLineAsync($"{key.Id,-16}  {created,-20}{(key == ring.Current ? "  current" : "")}".TrimEnd());
        }

        return 0;
    }

    private static async Task<int> RotateAsync(CliContext context)
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
}
