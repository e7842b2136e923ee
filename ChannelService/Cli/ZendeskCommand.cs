using System.CommandLine;
using System.Globalization;
using ChannelService.Configuration;
using ChannelService.Web;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink;
using ChannelService.ZendeskLink.OAuth;
using Microsoft.Extensions.Options;

namespace ChannelService.Cli;

/// <summary>
/// <c>zendesk link|unlink|status</c>: a subdomain's OAuth link to Zendesk's API from the command line (README, "Zendesk
/// link"). The service's own wiring is built for the run (same settings, database, key ring and link observers), so a
/// link made here is what the admin UI's Connect makes, and observers hear of it. Never prints a token or a secret.
/// </summary>
internal static class ZendeskCommand
{
    private const string Notes = "Uses the service's settings (Channel:DataDirectory, Channel:ZendeskBaseUrl, Channel:ZendeskOAuthScopes ...); runs beside a running service.";

    public static Command Create(CliContext context)
    {
        var command = new CliCommand("zendesk", "Link a Zendesk subdomain to Zendesk's API (OAuth), unlink it, show the links.") { Notes = Notes };
        CommandLine.RequireSubcommand(command);

        var subdomain = CliOptions.Text("--subdomain", "the Zendesk subdomain (acme for acme.zendesk.com)", "s", required: true);
        var clientId = CliOptions.Text("--client-id", "the unique identifier of a confidential OAuth client created in that Zendesk", "id", required: true);
        var secretStdin = CliOptions.Flag("--client-secret-stdin", "read the OAuth client's secret from the first line of standard input (required)");
        var link = new CliCommand("link", "Link a subdomain with the client-credentials grant of its own confidential OAuth client.")
        {
            Usage = ["zendesk link --subdomain S --client-id ID --client-secret-stdin"],
            Notes = """
                Asks Zendesk's /oauth/tokens for a token (grant_type client_credentials) and stores the link sealed in the
                service's database; renewals use the same client. Exit 0 linked, 1 Zendesk refused or could not be reached,
                2 bad arguments. The secret is read from standard input only, never from the command line.
                """,
        };
        link.Options.Add(subdomain);
        link.Options.Add(clientId);
        link.Options.Add(secretStdin);
        link.SetAction(async result => await LinkAsync(context, result.GetValue(subdomain)!, result.GetValue(clientId)!, result.GetValue(secretStdin)));
        command.Subcommands.Add(link);

        var unlinkSubdomain = CliOptions.Text("--subdomain", "the linked subdomain", "s", required: true);
        var unlink = new CliCommand("unlink", "Remove a subdomain's link: features are told first, the token is revoked at Zendesk, the link is deleted.")
        {
            Usage = ["zendesk unlink --subdomain S"],
            Notes = "Exit 0 removed, 1 the subdomain had no link, 2 bad arguments. The link is deleted even when Zendesk cannot be reached to revoke the token.",
        };
        unlink.Options.Add(unlinkSubdomain);
        unlink.SetAction(async result => await UnlinkAsync(context, result.GetValue(unlinkSubdomain)!));
        command.Subcommands.Add(unlink);

        var status = new CliCommand("status", "One line per link: subdomain, state, grant, token expiry, last call, last error (never a token).") { Notes = Notes };
        status.SetAction(async _ => await StatusAsync(context));
        command.Subcommands.Add(status);
        return command;
    }

    private static async Task<int> LinkAsync(CliContext context, string subdomain, string clientId, bool secretStdin)
    {
        if (!PushCredentialsStore.IsValidSubdomain(subdomain))
        {
            throw new CliUsageException("--subdomain must be 1-63 letters, digits or hyphens (acme for acme.zendesk.com)");
        }

        if (clientId.Length > ZendeskLinkStore.MaxClientIdLength || !clientId.All(c => c is > ' ' and <= '~'))
        {
            throw new CliUsageException("--client-id must be the OAuth client's unique identifier (printable characters, no spaces)");
        }

        if (!secretStdin)
        {
            throw new CliUsageException("--client-secret-stdin is required: the secret is read from standard input, never from the command line");
        }

        var secret = (await context.Stdin.ReadLineAsync())?.Trim();
        if (string.IsNullOrEmpty(secret) || secret.Length > ZendeskLinkStore.MaxSecretLength || !secret.All(c => c is > ' ' and <= '~'))
        {
            throw new CliUsageException("--client-secret-stdin given but standard input holds no client secret on its first line");
        }

        await using var app = await BuildAsync(context);
        var manager = app.Services.GetRequiredService<ZendeskLinkManager>();
        var scopes = app.Services.GetRequiredService<IOptions<ChannelOptions>>().Value.ZendeskOAuthScopes;
        var result = await manager.LinkWithClientCredentialsAsync(subdomain.ToLowerInvariant(), clientId, secret, scopes, CancellationToken.None);
        switch (result)
        {
            case TokenGrantResult.Granted granted:
                await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Linked {subdomain.ToLowerInvariant()} (client_credentials); access token valid until {Format(granted.Tokens.AccessExpiresAt) ?? "no expiry given"}."));
                return 0;
            case TokenGrantResult.Refused refused:
                await context.Stderr.WriteLineAsync($"error: {refused.Message} Nothing was linked.");
                return 1;
            default:
                await context.Stderr.WriteLineAsync($"error: {((TokenGrantResult.Unavailable)result).Message.Replace("Will try again.", "", StringComparison.Ordinal).Trim()} Nothing was linked; try again later.");
                return 1;
        }
    }

    private static async Task<int> UnlinkAsync(CliContext context, string subdomain)
    {
        if (!PushCredentialsStore.IsValidSubdomain(subdomain))
        {
            throw new CliUsageException("--subdomain must be 1-63 letters, digits or hyphens (acme for acme.zendesk.com)");
        }

        await using var app = await BuildAsync(context);
        var result = await app.Services.GetRequiredService<ZendeskLinkManager>().UnlinkAsync(subdomain, CancellationToken.None);
        if (!result.Existed)
        {
            await context.Stderr.WriteLineAsync($"error: {subdomain.ToLowerInvariant()} is not linked");
            return 1;
        }

        await context.Stdout.WriteLineAsync($"Unlinked {subdomain.ToLowerInvariant()}.");
        if (result.RevokeProblem is { } problem)
        {
            await context.Stderr.WriteLineAsync($"warning: the token could not be revoked at Zendesk ({problem}); it was deleted here and ends with its expiry.");
        }

        return 0;
    }

    private static async Task<int> StatusAsync(CliContext context)
    {
        await using var app = await BuildAsync(context);
        var links = await app.Services.GetRequiredService<ZendeskLinkStore>().ListAsync();
        if (links.Count == 0)
        {
            await context.Stdout.WriteLineAsync("No Zendesk links.");
            return 0;
        }

        await context.Stdout.WriteLineAsync($"{"SUBDOMAIN",-20} {"STATE",-32} {"GRANT",-19} {"TOKEN EXPIRES",-21} {"LAST CALL",-36} LAST ERROR");
        foreach (var l in links)
        {
            var state = l.Broken ? "broken: reconnect to Zendesk" : "linked";
            var call = l.LastCallAt is { } at ? $"{Format(at)} ({l.LastCallStatus})" : "-";
            await context.Stdout.WriteLineAsync($"{l.Subdomain,-20} {state,-32} {l.Grant,-19} {Format(l.AccessExpiresAt) ?? "-",-21} {call,-36} {l.LastError ?? "-"}");
        }

        return 0;
    }

    /// <summary>The service's wiring for one command, its database migrated; nothing listens and no background work runs.</summary>
    internal static async Task<WebApplication> BuildAsync(CliContext context)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = context.Configuration["environment"]
                ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
                ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
                ?? "Production",
        });
        builder.Configuration.AddConfiguration(context.Configuration);

        // Standard output carries only the command's result; the service's log lines stay out of it.
        builder.Logging.ClearProviders();
        builder.AddChannelService();
        var app = builder.Build();
        try
        {
            await app.PrepareAsync();
        }
        catch (InvalidOperationException ex)
        {
            await app.DisposeAsync();
            if (ex.InnerException is OptionsValidationException invalid)
            {
                // Reported by CommandLine as the service reports them: one line per setting, exit 1.
                throw invalid;
            }

            throw new CliUsageException(ex.Message);
        }

        return app;
    }

    private static string? Format(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
