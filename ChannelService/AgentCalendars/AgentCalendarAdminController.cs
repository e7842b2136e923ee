using ChannelService.Admin;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

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
internal sealed class AgentCalendarAdminController(AdminFlowTokenCodec flows, AgentCalendarStore store, AgentCalendarService calendars, IStringLocalizer<AdminText> t) : Controller
{
    [HttpPost("/admin/agent-calendars/rotate")]
    public async Task<IActionResult> Rotate([FromForm] AgentCalendarRotateRequest request, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        if (!flows.TryOpen(request.Flow, out var flow, out var rejection) || string.IsNullOrEmpty(flow.Subdomain))
        {
            // Expired and forged flows are told apart: only an expired page is helped by opening it again in time.
            return BadRequest(new { error = AdminFlowMessages.For(flow is null ? rejection : AdminFlowRejection.Invalid, t) });
        }

        if (await store.TokenAsync(flow.Subdomain.ToLowerInvariant(), request.AgentId, cancellationToken) is null)
        {
            return NotFound(new { error = "No such agent in this Zendesk." });
        }

        var url = await calendars.RotateAsync(flow.Subdomain, request.AgentId, cancellationToken);
        return Json(new { agent_id = request.AgentId, feed_url = url, tasks_url = AgentCalendarTokens.TasksUrl(url) });
    }
}
