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

/// <summary>The admin UI's CalDAV connect form for one agent. The password travels only in this POST body and is never echoed back.</summary>
internal sealed record AgentCalDavConnectRequest
{
    [FromForm(Name = "flow")]
    public string? Flow { get; init; }

    [FromForm(Name = "agent_id")]
    public long AgentId { get; init; }

    [FromForm(Name = "url")]
    public string? Url { get; init; }

    [FromForm(Name = "username")]
    public string? Username { get; init; }

    [FromForm(Name = "password")]
    public string? Password { get; init; }

    // A record prints its members: the password stays out of any log line all the same.
    public override string ToString() => $"AgentCalDavConnectRequest {{ AgentId = {AgentId} }}";
}

internal sealed class AgentCalDavConnectRequestValidator : AbstractValidator<AgentCalDavConnectRequest>
{
    public AgentCalDavConnectRequestValidator()
    {
        RuleFor(r => r.Flow).NotEmpty().WithMessage("flow is required.");
        RuleFor(r => r.AgentId).GreaterThan(0).WithMessage("agent_id must be a Zendesk user id.");
        RuleFor(r => r.Url).NotEmpty().MaximumLength(2000).WithMessage("url must be the CalDAV calendar's address (at most 2000 characters).");
        RuleFor(r => r.Username).NotEmpty().MaximumLength(256).WithMessage("username is required (at most 256 characters).");
        RuleFor(r => r.Password).NotEmpty().MaximumLength(1024).WithMessage("password is required (at most 1024 characters).");
    }
}

/// <summary>The admin UI's CalDAV disconnect button; <c>remove_events</c> deletes the events the service wrote there first.</summary>
internal sealed record AgentCalDavDisconnectRequest
{
    [FromForm(Name = "flow")]
    public string? Flow { get; init; }

    [FromForm(Name = "agent_id")]
    public long AgentId { get; init; }

    [FromForm(Name = "remove_events")]
    public bool RemoveEvents { get; init; }
}

internal sealed class AgentCalDavDisconnectRequestValidator : AbstractValidator<AgentCalDavDisconnectRequest>
{
    public AgentCalDavDisconnectRequestValidator()
    {
        RuleFor(r => r.Flow).NotEmpty().WithMessage("flow is required.");
        RuleFor(r => r.AgentId).GreaterThan(0).WithMessage("agent_id must be a Zendesk user id.");
    }
}

/// <summary>
/// <c>POST /admin/agent-calendars/rotate</c>: a new feed URL for one agent of the admin page's subdomain (the
/// "Calendars for agents" section). Only agents already listed for that subdomain can be rotated.
/// </summary>
/// <remarks>
/// <c>POST /admin/agent-calendars/caldav/connect</c> and <c>…/disconnect</c>: an agent's CalDAV calendar (README, "Straight
/// into an agent's CalDAV calendar"); answers <c>{"ok": …, "message": …}</c>, the message in plain words, never the password.
/// </remarks>
internal sealed class AgentCalendarAdminController(AdminFlowTokenCodec flows, AgentCalendarStore store, AgentCalendarService calendars, AgentCalDavPusher calDav) : Controller
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

    [HttpPost("/admin/agent-calendars/caldav/connect")]
    public async Task<IActionResult> Connect([FromForm] AgentCalDavConnectRequest request, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        if (await SubdomainOfAsync(request.Flow, request.AgentId, cancellationToken) is not { } subdomain)
        {
            return NotFound(new { error = "No such agent in this Zendesk, or this admin page has expired." });
        }

        var result = await calDav.ConnectAsync(subdomain, request.AgentId, request.Url!, request.Username!, request.Password!, cancellationToken);
        return Json(new { ok = result.Ok, message = result.Message });
    }

    [HttpPost("/admin/agent-calendars/caldav/disconnect")]
    public async Task<IActionResult> Disconnect([FromForm] AgentCalDavDisconnectRequest request, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        if (await SubdomainOfAsync(request.Flow, request.AgentId, cancellationToken) is not { } subdomain)
        {
            return NotFound(new { error = "No such agent in this Zendesk, or this admin page has expired." });
        }

        var result = await calDav.DisconnectAsync(subdomain, request.AgentId, request.RemoveEvents, cancellationToken);
        return Json(new { ok = result.Ok, message = result.Message });
    }

    /// <summary>The admin page's subdomain when its flow opens and the agent is one of that subdomain's agents.</summary>
    private async Task<string?> SubdomainOfAsync(string? flow, long agentId, CancellationToken cancellationToken)
    {
        if (!flows.TryOpen(flow, out var opened, out _) || string.IsNullOrEmpty(opened.Subdomain))
        {
            return null;
        }

        var subdomain = opened.Subdomain.ToLowerInvariant();
        return await store.TokenAsync(subdomain, agentId, cancellationToken) is null ? null : subdomain;
    }
}
