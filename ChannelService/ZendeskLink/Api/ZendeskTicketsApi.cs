using System.Globalization;
using System.Text.Json.Nodes;
using ChannelService.Zendesk;

namespace ChannelService.ZendeskLink.Api;

/// <summary>What the worker reads of a ticket: its id, how it came in, and the external_id it carries.</summary>
internal sealed record ApiTicket(long Id, string? ExternalId, string? ViaChannel)
{
    public static ApiTicket? From(JsonNode? ticket) =>
        ZendeskApiClient.Number(ticket?["id"]) is { } id
            ? new ApiTicket(id, ZendeskApiClient.Text(ticket?["external_id"]), ZendeskApiClient.Text(ticket?["via"]?["channel"]))
            : null;
}

/// <summary>One ticket's outcome in a finished update_many job.</summary>
internal sealed record JobResult(long TicketId, bool Success, string? Error);

/// <summary>A job status: <c>queued</c>, <c>working</c>, <c>failed</c>, <c>completed</c> or <c>killed</c>, and its per-ticket results.</summary>
internal sealed record JobStatus(string Id, string Status, IReadOnlyList<JobResult> Results)
{
    public bool Finished => Status is "completed" or "failed" or "killed";
}

/// <summary>
/// The ticket endpoints the service calls (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/):
/// <list type="bullet">
/// <item><c>GET /api/v2/tickets/show_many?ids=…</c>: up to 100 tickets by id ("Show Multiple Tickets").</item>
/// <item><c>PUT /api/v2/tickets/{id}</c> with <c>{"ticket": {…}}</c> ("Update Ticket").</item>
/// <item><c>PUT /api/v2/tickets/update_many</c> with <c>{"tickets": [{"id": …, …}]}</c>: up to 100 tickets, each with
/// its own values ("Update Many Tickets", batch form); answers <c>{"job_status": {…}}</c>.</item>
/// <item><c>GET /api/v2/job_statuses/{id}</c> (https://developer.zendesk.com/api-reference/ticketing/ticket-management/job_statuses/):
/// status <c>queued</c>, <c>working</c>, <c>failed</c>, <c>completed</c>, <c>killed</c>; <c>results[]</c> of
/// <c>{id, success, status}</c> or <c>{id, error, details}</c>. Job statuses are kept for a limited time, so the worker
/// polls right after it queued the job.</item>
/// <item><c>GET /api/v2/search?query=type:ticket external_id:…</c>
/// (https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/): "it can take up to a few minutes
/// for new tickets … to be indexed", so a miss is not an answer: the worker searches again later. Re-checked
/// 2026-12-07: Zendesk's search guide (https://developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/searching-with-the-zendesk-api/)
/// lists the query syntax but not an <c>external_id</c> keyword among its examples, so whether search matches it is
/// still unconfirmed. Zendesk also has "List Tickets by External Id", <c>GET /api/v2/tickets?external_id=</c>
/// (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets-by-external-id, known only from
/// API clients that cite it, e.g. MEDIGO/go-zendesk#77, facetoe/zenpy#254; several tickets may share an id), which
/// reads tickets rather than the index; it is not used until its page is confirmed. Either way a ticket found is
/// edited only when <see cref="Work.ApiWorker.IsOurs"/> holds, and a miss is retried with back-off.</item>
/// </list>
/// </summary>
internal sealed class ZendeskTicketsApi(ZendeskApiClient api)
{
    /// <summary>Zendesk's maximum for show_many and update_many.</summary>
    public const int MaxPerCall = 100;

    public async Task<(ApiResult Result, IReadOnlyList<ApiTicket> Tickets)> ShowManyAsync(string subdomain, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        var request = new ZendeskRequest(HttpMethod.Get, ["api", "v2", "tickets", "show_many"])
        {
            Query = [new("ids", string.Join(",", ids.Select(i => i.ToString(CultureInfo.InvariantCulture))))],
        };
        var result = await api.SendAsync(subdomain, "tickets/show_many", request, cancellationToken);
        var tickets = result.Ok ? (result.Body?["tickets"] as JsonArray ?? []).Select(ApiTicket.From).OfType<ApiTicket>().ToList() : [];
        return (result, tickets);
    }

    public Task<ApiResult> UpdateAsync(string subdomain, long ticketId, JsonObject fields, CancellationToken cancellationToken) =>
        api.SendAsync(subdomain, "tickets/{id}", new ZendeskRequest(HttpMethod.Put, ["api", "v2", "tickets", ticketId.ToString(CultureInfo.InvariantCulture)], new JsonObject { ["ticket"] = fields }), cancellationToken);

    /// <summary>Queues one batch job; each object carries its ticket's <c>id</c>. Returns the job's id.</summary>
    public async Task<(ApiResult Result, string? JobId)> UpdateManyAsync(string subdomain, IReadOnlyList<JsonObject> tickets, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["tickets"] = new JsonArray([.. tickets]) };
        var result = await api.SendAsync(subdomain, "tickets/update_many", new ZendeskRequest(HttpMethod.Put, ["api", "v2", "tickets", "update_many"], body), cancellationToken);
        return (result, result.Ok ? ZendeskApiClient.Text(result.Body?["job_status"]?["id"]) : null);
    }

    public async Task<(ApiResult Result, JobStatus? Job)> JobStatusAsync(string subdomain, string jobId, CancellationToken cancellationToken)
    {
        var result = await api.SendAsync(subdomain, "job_statuses/{id}", new ZendeskRequest(HttpMethod.Get, ["api", "v2", "job_statuses", jobId]), cancellationToken);
        if (!result.Ok || result.Body?["job_status"] is not JsonObject job)
        {
            return (result, null);
        }

        var results = (job["results"] as JsonArray ?? [])
            .Select(r => ZendeskApiClient.Number(r?["id"]) is { } id
                ? new JobResult(id, r?["error"] is null && r?["success"]?.GetValue<bool>() != false, ZendeskApiClient.Text(r?["error"]) ?? ZendeskApiClient.Text(r?["details"]))
                : null)
            .OfType<JobResult>()
            .ToList();
        return (result, new JobStatus(ZendeskApiClient.Text(job["id"]) ?? jobId, ZendeskApiClient.Text(job["status"]) ?? "queued", results));
    }

    /// <summary>The tickets whose external_id is <paramref name="externalId"/>, as far as the search index knows yet.</summary>
    public async Task<(ApiResult Result, IReadOnlyList<ApiTicket> Tickets)> SearchByExternalIdAsync(string subdomain, string externalId, CancellationToken cancellationToken)
    {
        var request = new ZendeskRequest(HttpMethod.Get, ["api", "v2", "search"])
        {
            Query = [new("query", $"type:ticket external_id:\"{externalId}\"")],
        };
        var (result, items) = await api.ListAsync(subdomain, "search", request, "results", maxPages: 2, cancellationToken);
        return (result, items.Select(ApiTicket.From).OfType<ApiTicket>().ToList());
    }
}
