using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace ChannelService.AgentCalendars;

/// <summary>
/// <c>GET /calendars/{token}.ics</c>: an agent's private iCalendar feed of their open Zendesk task tickets (README,
/// "Calendars for agents"). The token is the only credential, so an unknown, malformed or revoked one gets the same 404
/// as any unknown path. <c>webcal://</c> is the same URL: calendar apps fetch it over http(s).
/// </summary>
/// <remarks>
/// <c>GET /calendars/{token}/tasks.ics</c> is the same token's VTODO variant, for apps that show tasks. A path rather
/// than <c>?component=vtodo</c>: the whole URL still ends in <c>.ics</c>, which some subscription dialogs check, and
/// nothing on the way (a client normalising the address, a proxy or cache keyed without the query) can drop the query
/// and silently hand a task app the event feed. The token rules are the same for both: one lookup, one plain 404.
/// </remarks>
internal sealed class AgentCalendarController(AgentCalendarService calendars) : Controller
{
    [HttpGet("/calendars/{token}.ics")]
    public Task<IActionResult> Feed(string token, CancellationToken cancellationToken) =>
        AnswerAsync(token, AgentFeedVariant.Events, cancellationToken);

    [HttpGet("/calendars/{token}/tasks.ics")]
    public Task<IActionResult> Tasks(string token, CancellationToken cancellationToken) =>
        AnswerAsync(token, AgentFeedVariant.Tasks, cancellationToken);

    private async Task<IActionResult> AnswerAsync(string token, AgentFeedVariant variant, CancellationToken cancellationToken)
    {
        // The URL is a secret: never cached by shared caches, never sent on as a referrer.
        Response.Headers.CacheControl = "private, no-cache";
        Response.Headers["Referrer-Policy"] = "no-referrer";
        if (await calendars.FeedAsync(token, variant, cancellationToken) is not { } feed)
        {
            return NotFound();
        }

        var etag = new EntityTagHeaderValue(feed.ETag);
        Response.Headers.ETag = feed.ETag;
        var ifNoneMatch = Request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false)))
        {
            return StatusCode(StatusCodes.Status304NotModified);
        }

        return File(feed.Body, "text/calendar; charset=utf-8");
    }
}
