using System.Text.Json.Nodes;
using ChannelService.Zendesk;

namespace ChannelService.ZendeskLink.Api;

/// <summary>
/// The user endpoints the service calls (https://developer.zendesk.com/api-reference/ticketing/users/users/):
/// <c>GET /api/v2/users/search?query=email:…</c> ("Search Users") to find the requester by e-mail, and, only when
/// nobody has it, <c>POST /api/v2/users/create_or_update</c> with <c>{"user": {"email", "name"}}</c> ("Create or
/// Update User": creates the end user, or answers the existing one with 200). Searching first keeps the name of an
/// existing person as Zendesk has it: create_or_update would overwrite it with the calendar's CN.
/// </summary>
internal sealed class ZendeskUsersApi(ZendeskApiClient api)
{
    public async Task<(ApiResult Result, long? UserId)> FindByEmailAsync(string subdomain, string email, CancellationToken cancellationToken)
    {
        var request = new ZendeskRequest(HttpMethod.Get, ["api", "v2", "users", "search"]) { Query = [new("query", "email:" + email)] };
        var (result, users) = await api.ListAsync(subdomain, "users/search", request, "users", maxPages: 3, cancellationToken);
        var match = users.FirstOrDefault(u => string.Equals(ZendeskApiClient.Text(u["email"]), email, StringComparison.OrdinalIgnoreCase));
        return (result, ZendeskApiClient.Number(match?["id"]));
    }

    public async Task<(ApiResult Result, long? UserId)> CreateOrUpdateAsync(string subdomain, string email, string? name, CancellationToken cancellationToken)
    {
        // Zendesk requires a name for a new user: the calendar's CN, else the address itself.
        var user = new JsonObject { ["email"] = email, ["name"] = string.IsNullOrWhiteSpace(name) ? email : name };
        var result = await api.SendAsync(subdomain, "users/create_or_update", new ZendeskRequest(HttpMethod.Post, ["api", "v2", "users", "create_or_update"], new JsonObject { ["user"] = user }), cancellationToken);
        return (result, result.Ok ? ZendeskApiClient.Number(result.Body?["user"]?["id"]) : null);
    }

    /// <summary>The user id for the e-mail, creating the user when nobody has it.</summary>
    public async Task<(ApiResult Result, long? UserId)> ResolveAsync(string subdomain, string email, string? name, CancellationToken cancellationToken)
    {
        var (found, id) = await FindByEmailAsync(subdomain, email, cancellationToken);
        if (!found.Ok || id is not null)
        {
            return (found, id);
        }

        return await CreateOrUpdateAsync(subdomain, email, name, cancellationToken);
    }
}
