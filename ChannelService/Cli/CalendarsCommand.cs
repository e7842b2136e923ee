using System.CommandLine;
using System.Globalization;
using ChannelService.AgentCalendars;
using ChannelService.Zendesk;

namespace ChannelService.Cli;

/// <summary>
/// <c>calendars list|rotate|revoke</c>: agents' private calendar feeds of a linked subdomain (README, "Calendars for
/// agents"). Built on the service's own wiring (<see cref="ZendeskCommand.BuildAsync"/>): the same database, key ring and
/// Zendesk link. Feed URLs are secrets: they go to standard output only, never to a log.
/// </summary>
internal static class CalendarsCommand
{
    private const string Notes = "Uses the service's settings (Channel:DataDirectory, Channel:PublicBaseUrl, Channel:ZendeskBaseUrl ...); the subdomain must be linked (zendesk link) for the agent list.";

    public static Command Create(CliContext context)
    {
        var command = new CliCommand("calendars", "Agents' private calendar feeds of their Zendesk task tickets: list the feed URLs, rotate or revoke one.") { Notes = Notes };
        CommandLine.RequireSubcommand(command);

        var listSubdomain = Subdomain();
        var list = new CliCommand("list", "One line per agent of the subdomain (from Zendesk's API): agent id, e-mail, feed URL under Channel:PublicBaseUrl, task list URL.")
        {
            Usage = ["calendars list --subdomain S"],
            Notes = """
                Agents and admins are read from Zendesk (List Users); each gets a feed token on first sight. When Zendesk
                cannot be asked, the agents already known are listed and a warning says why. A revoked feed shows
                "revoked" instead of a URL. The fourth column is the same feed as a task list (VTODO, for apps that show
                tasks): the feed URL with ".ics" replaced by "/tasks.ics". Exit 0 listed, 1 nothing could be listed, 2 bad
                arguments.
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
            Notes = "Prints the new feed URL (its task list is the same URL with \".ics\" replaced by \"/tasks.ics\"). Calendar apps subscribed to the old URL must subscribe again. An agent not known here is looked up in Zendesk first. Exit 0 rotated, 1 no such agent (or Zendesk could not be asked), 2 bad arguments.",
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
            await context.Stderr.WriteLineAsync($"warning: the agents could not be read from Zendesk: {problem.TrimEnd('.', ' ')}. Listing the agents known here.");
        }

        if (listing.Agents.Count == 0)
        {
            await context.Stderr.WriteLineAsync($"error: no agents of {subdomain} are known yet");
            return 1;
        }

        foreach (var agent in listing.Agents)
        {
            var feed = agent.Revoked ? "revoked" : agent.FeedUrl ?? "(its key left the key ring: rotate)";
            var taskList = agent.Revoked ? "revoked" : agent.TasksUrl ?? feed;
            await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{agent.AgentId}\t{agent.Email ?? "-"}\t{feed}\t{taskList}"));
        }

        return 0;
    }

    private static async Task<int> RotateAsync(CliContext context, string subdomain, long agentId)
    {
        subdomain = Checked(subdomain);
        await using var app = await ZendeskCommand.BuildAsync(context);
        switch (await app.Services.GetRequiredService<AgentCalendarService>().RotateKnownAsync(subdomain, agentId, CancellationToken.None))
        {
            case AgentRotation.Rotated rotated:
                await context.Stdout.WriteLineAsync(rotated.FeedUrl);
                return 0;
            case AgentRotation.CannotAsk cannot:
                await context.Stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"error: agent {agentId} is not known here and Zendesk could not be asked: {cannot.Problem.TrimEnd('.', ' ')}. Nothing was rotated."));
                return 1;
            default:
                await context.Stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"error: {subdomain}'s Zendesk has no agent or admin {agentId}"));
                return 1;
        }
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
