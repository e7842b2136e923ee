using ChannelService.Admin;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.AgentCalendars;

/// <summary>The admin UI's rotate button: the admin page's sealed flow (never in a URL) and the agent's Zendesk user id.</summary>
internal sealed record AgentCalendarRotateRequest
{
    [FromForm(Name = "flow")]
    public string? Flow { get; init; }

    [FromForm(Name = "agent_id")]
    public long AgentId { get; init; }
}

internal sealed class AgentCalendarRotateRequestValidator : AbstractValidator<AgentCalendarRotateRequest>
{
    public AgentCalendarRotateRequestValidator()
    {
        RuleFor(r => r.Flow).NotEmpty().WithMessage("flow is required.");
        RuleFor(r => r.AgentId).GreaterThan(0).WithMessage("agent_id must be a Zendesk user id.");
    }
}

/// <summary>
/// <c>POST /admin/agent-calendars/rotate</c>: a new feed URL for one agent of the admin page's subdomain (the
/// "Calendars for agents" section). Only agents already listed for that subdomain can be rotated.
/// </summary>
internal sealed class AgentCalendarAdminController(AdminFlowTokenCodec flows, AgentCalendarStore store, AgentCalendarService calendars) : Controller
{
    [HttpPost("/admin/agent-calendars/rotate")]
    public async Task<IActionResult> Rotate([FromForm] AgentCalendarRotateRequest request, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        if (!flows.TryOpen(request.Flow, out var flow, out _) || string.IsNullOrEmpty(flow.Subdomain))
        {
            return BadRequest(new { error = "This admin page has expired. Open the account again from Zendesk." });
        }

        if (await store.TokenAsync(flow.Subdomain.ToLowerInvariant(), request.AgentId, cancellationToken) is null)
        {
            return NotFound(new { error = "No such agent in this Zendesk." });
        }

        var url = await calendars.RotateAsync(flow.Subdomain, request.AgentId, cancellationToken);
        return Json(new { agent_id = request.AgentId, feed_url = url, tasks_url = AgentCalendarTokens.TasksUrl(url) });
    }
}
