using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.ActionConstraints;
using Microsoft.AspNetCore.Routing;

namespace ChannelService.Admin;

/// <summary>
/// Picks the action of a post to <c>/admin/step</c> by the button pressed: the pages' submit buttons are
/// <c>name="do"</c> with these values. <c>null</c> selects the action for any other value (or none).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class AdminStepAttribute(string? action) : ActionMethodSelectorAttribute
{
    /// <summary>Every button value the pages post.</summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal) { "back", "kind", "discover", "test", "save" };

    public string? Action { get; } = action;

    public override bool IsValidForRequest(RouteContext routeContext, ActionDescriptor action)
    {
        // Read already, asynchronously: the admin UI takes its locale from the form (UseAdminLocalization), and routing
        // runs after that (ServiceSetup.MapChannelService), so this is no synchronous read of the body.
        var request = routeContext.HttpContext.Request;
        var pressed = request.HasFormContentType ? (string?)request.Form["do"] : null;
        return Action is null ? pressed is null || !Known.Contains(pressed) : string.Equals(pressed, Action, StringComparison.Ordinal);
    }
}
