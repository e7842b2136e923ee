using System.Text.Json.Nodes;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Api;

namespace ChannelService.AgentCalendars;

/// <summary>An agent of a linked subdomain with their feed URL (null when the URL cannot be shown: rotate).</summary>
internal sealed record AgentCalendarEntry(long AgentId, string? Email, string? Name, string? FeedUrl, bool Revoked, long Tasks, DateTimeOffset? LastFetchAt)
{
    /// <summary>The same feed as a task list (VTODO), for apps that show tasks; null when <see cref="FeedUrl"/> is.</summary>
    public string? TasksUrl => AgentCalendarTokens.TasksUrl(FeedUrl);
}

/// <summary>How listing the agents went.</summary>
internal sealed record AgentListing(IReadOnlyList<AgentCalendarEntry> Agents, string? Problem);

/// <summary>
/// What the feed endpoint, the CLI and the admin UI ask of agents' calendars: the feed behind a token, the agents of
/// a subdomain with their URLs, rotation and revocation.
/// </summary>
internal sealed class AgentCalendarService(AgentCalendarStore store, AgentCalendarTokens tokens, AgentCalendarFeed feed, AgentTaskListFeed taskList, ZendeskApiClient api, TimeProvider time)
{
    /// <summary>
    /// The last rendering of each agent's feed with the feed version it was made from. A fetch whose token row still
    /// carries that version gets the same bytes without reading the tasks or rendering again (one lookup by hash);
    /// any change of the agent's tasks bumps the version in the same transaction, on every instance's database. At
    /// most one entry per agent and variant fetched (about 25 KB for 50 tasks each): the VEVENT and the VTODO rendering
    /// of one agent are different bytes with different ETags, so the variant is part of the key.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Subdomain, long AgentId, AgentFeedVariant Variant), (long Version, RenderedFeed Feed)> rendered = new();

    /// <summary>The agent's feed, or null for an unknown, malformed or revoked token (a plain 404).</summary>
    public Task<RenderedFeed?> FeedAsync(string? token, CancellationToken cancellationToken) =>
        FeedAsync(token, AgentFeedVariant.Events, cancellationToken);

    /// <summary>
    /// The agent's feed in the given representation, or null for an unknown, malformed or revoked token: the same 404 for
    /// both variants, decided before the variant matters.
    /// </summary>
    public async Task<RenderedFeed?> FeedAsync(string? token, AgentFeedVariant variant, CancellationToken cancellationToken)
    {
        if (!AgentCalendarTokens.IsWellFormed(token))
        {
            return null;
        }

        var hash = AgentCalendarTokens.Hash(token!);
        if (await store.ByHashAsync(hash, cancellationToken) is not { } owner)
        {
            return null;
        }

        await store.RecordFetchAsync(hash, time.GetUtcNow(), cancellationToken);
        var key = (owner.Subdomain, owner.AgentId, variant);
        if (rendered.TryGetValue(key, out var cached) && cached.Version == owner.FeedVersion)
        {
            return cached.Feed;
        }

        // Read after the version: a change racing this fetch bumps the version again, so the entry is never newer than its key.
        var tasks = await store.FeedAsync(owner.Subdomain, owner.AgentId, cancellationToken);
        var made = variant == AgentFeedVariant.Tasks ? taskList.Render(owner.Subdomain, tasks) : feed.Render(owner.Subdomain, tasks);
        rendered[key] = (owner.FeedVersion, made);
        return made;
    }

    /// <summary>
    /// The subdomain's agents and admins from Zendesk ("List Users" with <c>role[]=agent&amp;role[]=admin</c>,
    /// https://developer.zendesk.com/api-reference/ticketing/users/users/#list-users, cursor pagination, scope
    /// <c>users:read</c>), each given a feed token on first sight. When Zendesk cannot be asked, the agents already
    /// known here are listed and <see cref="AgentListing.Problem"/> says why.
    /// </summary>
    public async Task<AgentListing> AgentsAsync(string subdomain, CancellationToken cancellationToken)
    {
        subdomain = subdomain.ToLowerInvariant();
        var request = new ZendeskRequest(HttpMethod.Get, ["api", "v2", "users"])
        {
            Query = [new("role[]", "agent"), new("role[]", "admin"), new("page[size]", "100")],
        };
        var (last, users) = await api.ListAsync(subdomain, "users", request, "users", maxPages: 100, cancellationToken);
        string? problem = null;
        if (last.Ok)
        {
            // Only new agents and changed e-mails or names are written: the admin page lists every agent on each step.
            var known = (await store.TokensAsync(subdomain, cancellationToken)).ToDictionary(t => t.AgentId);
            foreach (var user in users.OfType<JsonObject>())
            {
                if (ZendeskApiClient.Number(user["id"]) is { } id && id > 0 && user["active"]?.GetValueKind() != System.Text.Json.JsonValueKind.False)
                {
                    var email = Short(ZendeskApiClient.Text(user["email"]));
                    var name = Short(ZendeskApiClient.Text(user["name"]));
                    if (!known.TryGetValue(id, out var row) || (email is not null && row.Email != email) || (name is not null && row.Name != name))
                    {
                        await store.EnsureTokenAsync(tokens.Issue(subdomain, id, email, name, time.GetUtcNow()), cancellationToken);
                    }
                }
            }
        }
        else
        {
            problem = last.Message;
        }

        var counts = (await store.SummariesAsync(cancellationToken)).Where(s => s.Subdomain == subdomain).ToDictionary(s => s.AgentId, s => s.Tasks);
        var entries = (await store.TokensAsync(subdomain, cancellationToken))
            .Select(t => new AgentCalendarEntry(t.AgentId, t.Email, t.Name, tokens.FeedUrl(t), t.RevokedAt is not null, counts.GetValueOrDefault(t.AgentId), t.LastFetchAt))
            .ToList();
        return new AgentListing(entries, problem);
    }

    /// <summary>A new token for the agent (the old URL answers 404 from now on); returns the new feed URL.</summary>
    public async Task<string?> RotateAsync(string subdomain, long agentId, CancellationToken cancellationToken)
    {
        subdomain = subdomain.ToLowerInvariant();
        var existing = await store.TokenAsync(subdomain, agentId, cancellationToken);
        var issued = tokens.Issue(subdomain, agentId, existing?.Email, existing?.Name, time.GetUtcNow());
        await store.RotateAsync(issued, time.GetUtcNow(), cancellationToken);
        return tokens.FeedUrl(issued);
    }

    public Task<bool> RevokeAsync(string subdomain, long agentId, CancellationToken cancellationToken) =>
        store.RevokeAsync(subdomain.ToLowerInvariant(), agentId, time.GetUtcNow(), cancellationToken);

    private static string? Short(string? text) => text is { Length: > 0 and <= 320 } ? text : null;
}
