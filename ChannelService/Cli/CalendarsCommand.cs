using System.CommandLine;
using System.Globalization;
using ChannelService.AgentCalendars;
using ChannelService.Zendesk;

namespace ChannelService.Cli;

/// <summary>
/// <c>calendars list|rotate|revoke|connect|disconnect</c>: agents' private calendar feeds of a linked subdomain and their
/// optional CalDAV calendars (README, "Calendars for agents"). Built on the service's own wiring (<see cref="ZendeskCommand.BuildAsync"/>): the same database, key ring and
/// Zendesk link. Feed URLs are secrets: they go to standard output only, never to a log; a CalDAV password is read from standard
/// input only and never printed.
/// </summary>
internal static class CalendarsCommand
{
    private const string Notes = "Uses the service's settings (Channel:DataDirectory, Channel:PublicBaseUrl, Channel:ZendeskBaseUrl ...); the subdomain must be linked (zendesk link) for the agent list.";

    public static Command Create(CliContext context)
    {
        var command = new CliCommand("calendars", "Agents' private calendar feeds of their Zendesk task tickets: list the feed URLs, rotate or revoke one, or connect an agent's own CalDAV calendar.") { Notes = Notes };
        CommandLine.RequireSubcommand(command);

        var listSubdomain = Subdomain();
        var list = new CliCommand("list", "One line per agent of the subdomain (from Zendesk's API): agent id, e-mail, feed URL under Channel:PublicBaseUrl, task list URL, CalDAV calendar and its state.")
        {
            Usage = ["calendars list --subdomain S"],
            Notes = """
                Agents and admins are read from Zendesk (List Users); each gets a feed token on first sight. When Zendesk
                cannot be asked, the agents already known are listed and a warning says why. A revoked feed shows
                "revoked" instead of a URL. The fourth column is the same feed as a task list (VTODO, for apps that show
                tasks): the feed URL with ".ics" replaced by "/tasks.ics". The last two columns are the connected CalDAV
                calendar ("-" when none) and its state (last write, events written, or the last error). Columns are
                tab-separated. Exit 0 listed, 1 nothing could be listed, 2 bad arguments.
                """,
        };
        list.Options.Add(listSubdomain);
        list.SetAction(async result => await ListAsync(context, result.GetValue(listSubdomain)!));
        command.Subcommands.Add(list);

        var rotateSubdomain = Subdomain();
        var rotateAgent = Agent();
        var rotate = new CliCommand("rotate", "Give an agent a new feed URL; the old one answers 404 from now on (also lifts a revocation).")
        {
            Usage = ["calendars rotate --subdomain S --agent ID"],
            Notes = "Prints the new feed URL (its task list is the same URL with \".ics\" replaced by \"/tasks.ics\"). Calendar apps subscribed to the old URL must subscribe again. Exit 0 rotated, 2 bad arguments.",
        };
        rotate.Options.Add(rotateSubdomain);
        rotate.Options.Add(rotateAgent);
        rotate.SetAction(async result => await RotateAsync(context, result.GetValue(rotateSubdomain)!, result.GetValue(rotateAgent)));
        command.Subcommands.Add(rotate);

        var revokeSubdomain = Subdomain();
        var revokeAgent = Agent();
        var revoke = new CliCommand("revoke", "Stop an agent's feed: its URL answers 404 until the agent's feed is rotated.")
        {
            Usage = ["calendars revoke --subdomain S --agent ID"],
            Notes = "Exit 0 revoked, 1 the agent has no feed, 2 bad arguments.",
        };
        revoke.Options.Add(revokeSubdomain);
        revoke.Options.Add(revokeAgent);
        revoke.SetAction(async result => await RevokeAsync(context, result.GetValue(revokeSubdomain)!, result.GetValue(revokeAgent)));
        command.Subcommands.Add(revoke);

        var connectSubdomain = Subdomain();
        var connectAgent = Agent();
        var connectUrl = CliOptions.Text("--url", "the agent's CalDAV calendar collection (absolute http or https URL)", "url", required: true);
        var connectUser = CliOptions.Text("--username", "the CalDAV user name", "u", required: true);
        var passwordStdin = CliOptions.Flag("--password-stdin", "read the CalDAV password from the first line of standard input (required)");
        var connect = new CliCommand("connect", "Write the agent's task tickets straight into their own CalDAV calendar (one event per task, kept up to date).")
        {
            Usage = ["calendars connect --subdomain S --agent ID --url URL --username U --password-stdin"],
            Notes = """
                Checks the URL first (http or https; loopback and private addresses only when Channel:AllowedSourceNetworks
                allows them, as for sources), then that it is a calendar collection taking events (PROPFIND). The password
                is read from standard input only and stored sealed; it is never printed. Connecting again replaces the
                calendar or password. Only events the service wrote are ever changed or deleted there; an event the agent
                edits or deletes stays so until the ticket's next change. Exit 0 connected, 1 the check failed, 2 bad arguments.
                """,
        };
        connect.Options.Add(connectSubdomain);
        connect.Options.Add(connectAgent);
        connect.Options.Add(connectUrl);
        connect.Options.Add(connectUser);
        connect.Options.Add(passwordStdin);
        connect.SetAction(async result => await ConnectAsync(
            context, result.GetValue(connectSubdomain)!, result.GetValue(connectAgent), result.GetValue(connectUrl)!, result.GetValue(connectUser)!, result.GetValue(passwordStdin)));
        command.Subcommands.Add(connect);

        var disconnectSubdomain = Subdomain();
        var disconnectAgent = Agent();
        var removeEvents = CliOptions.Flag("--remove-events", "first delete the events the service wrote into the calendar (never any other event)");
        var disconnect = new CliCommand("disconnect", "Stop writing into the agent's CalDAV calendar.")
        {
            Usage = ["calendars disconnect --subdomain S --agent ID [--remove-events]"],
            Notes = """
                Without --remove-events the events already written stay in the calendar as they are (no longer updated).
                With it, only the events the service wrote are deleted first; if that fails the calendar stays connected.
                Exit 0 disconnected, 1 nothing connected or the events could not be removed, 2 bad arguments.
                """,
        };
        disconnect.Options.Add(disconnectSubdomain);
        disconnect.Options.Add(disconnectAgent);
        disconnect.Options.Add(removeEvents);
        disconnect.SetAction(async result => await DisconnectAsync(context, result.GetValue(disconnectSubdomain)!, result.GetValue(disconnectAgent), result.GetValue(removeEvents)));
        command.Subcommands.Add(disconnect);
        command.Subcommands.Add(Benchmarks.AgentCalendarBenchCommand.Create(context));
        return command;
    }

    private static Option<string> Subdomain() => CliOptions.Text("--subdomain", "the linked Zendesk subdomain (acme for acme.zendesk.com)", "s", required: true);

    private static Option<long> Agent() => CliOptions.Number<long>("--agent", "the agent's Zendesk user id", 1, long.MaxValue, 0, required: true);

    private static string Checked(string subdomain) =>
        PushCredentialsStore.IsValidSubdomain(subdomain)
            ? subdomain.ToLowerInvariant()
            : throw new CliUsageException("--subdomain must be 1-63 letters, digits or hyphens (acme for acme.zendesk.com)");

    private static async Task<int> ListAsync(CliContext context, string subdomain)
    {
        subdomain = Checked(subdomain);
        await using var app = await ZendeskCommand.BuildAsync(context);
        var listing = await app.Services.GetRequiredService<AgentCalendarService>().AgentsAsync(subdomain, CancellationToken.None);
        if (listing.Problem is { } problem)
        {
            await context.Stderr.WriteLineAsync($"warning: the agents could not be read from Zendesk ({problem}); listing the agents known here.");
        }

        if (listing.Agents.Count == 0)
        {
            await context.Stderr.WriteLineAsync($"error: no agents of {subdomain} are known yet");
            return 1;
        }

        var targets = (await app.Services.GetRequiredService<AgentCalDavStore>().TargetsAsync(CancellationToken.None))
            .Where(t => t.Subdomain == subdomain).ToDictionary(t => t.AgentId);
        foreach (var agent in listing.Agents)
        {
            var feed = agent.Revoked ? "revoked" : agent.FeedUrl ?? "(its key left the key ring: rotate)";
            var taskList = agent.Revoked ? "revoked" : agent.TasksUrl ?? feed;
            var calDav = targets.TryGetValue(agent.AgentId, out var target) ? $"{target.CollectionUrl}	{State(target)}" : "-	-";
            await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{agent.AgentId}	{agent.Email ?? "-"}	{feed}	{taskList}	{calDav}"));
        }

        return 0;
    }

    /// <summary>A CalDAV calendar's state in one line: failing with its error, or its last write and how many events it holds.</summary>
    internal static string State(AgentCalDavTarget target) => target.Failures > 0
        ? string.Create(CultureInfo.InvariantCulture, $"failing since {Format(target.LastErrorAt)}: {target.LastError}")
        : string.Create(CultureInfo.InvariantCulture, $"ok, {target.Events} event(s), last write {Format(target.LastWriteAt) ?? "none yet"}");

    private static string? Format(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static async Task<int> ConnectAsync(CliContext context, string subdomain, long agentId, string url, string username, bool passwordStdin)
    {
        subdomain = Checked(subdomain);
        if (!passwordStdin)
        {
            throw new CliUsageException("--password-stdin is required: the password is read from standard input, never from the command line");
        }

        var password = (await context.Stdin.ReadLineAsync())?.TrimEnd('\r');
        if (string.IsNullOrEmpty(password))
        {
            throw new CliUsageException("--password-stdin given but standard input holds no password on its first line");
        }

        await using var app = await ZendeskCommand.BuildAsync(context);
        var result = await app.Services.GetRequiredService<AgentCalDavPusher>().ConnectAsync(subdomain, agentId, url, username, password, CancellationToken.None);
        if (!result.Ok)
        {
            await context.Stderr.WriteLineAsync("error: " + result.Message);
            return 1;
        }

        await context.Stdout.WriteLineAsync(result.Message);
        return 0;
    }

    private static async Task<int> DisconnectAsync(CliContext context, string subdomain, long agentId, bool removeEvents)
    {
        subdomain = Checked(subdomain);
        await using var app = await ZendeskCommand.BuildAsync(context);
        var result = await app.Services.GetRequiredService<AgentCalDavPusher>().DisconnectAsync(subdomain, agentId, removeEvents, CancellationToken.None);
        if (!result.Ok)
        {
            await context.Stderr.WriteLineAsync("error: " + result.Message);
            return 1;
        }

        await context.Stdout.WriteLineAsync(result.Message);
        return 0;
    }

    private static async Task<int> RotateAsync(CliContext context, string subdomain, long agentId)
    {
        subdomain = Checked(subdomain);
        await using var app = await ZendeskCommand.BuildAsync(context);
        var url = await app.Services.GetRequiredService<AgentCalendarService>().RotateAsync(subdomain, agentId, CancellationToken.None);
        await context.Stdout.WriteLineAsync(url);
        return 0;
    }

    private static async Task<int> RevokeAsync(CliContext context, string subdomain, long agentId)
    {
        subdomain = Checked(subdomain);
        await using var app = await ZendeskCommand.BuildAsync(context);
        if (!await app.Services.GetRequiredService<AgentCalendarService>().RevokeAsync(subdomain, agentId, CancellationToken.None))
        {
            await context.Stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"error: agent {agentId} of {subdomain} has no feed"));
            return 1;
        }

        await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Revoked the feed of agent {agentId} of {subdomain}."));
        return 0;
    }
}
