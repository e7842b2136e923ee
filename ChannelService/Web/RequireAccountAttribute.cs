using Microsoft.AspNetCore.Authorization;

namespace ChannelService.Web;

/// <summary>
/// The endpoint needs the caller's account metadata (<see cref="MetadataAuthenticationHandler"/>): without it, or
/// when it does not decrypt, the answer is a 401 JSON error and the action does not run. Metadata is our only
/// proof that the caller is the Zendesk account we set up (channel-framework.md §9).
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
internal sealed class RequireAccountAttribute : AuthorizeAttribute
{
    public const string DefaultMissingMessage = "metadata is missing.";

    public RequireAccountAttribute() => AuthenticationSchemes = MetadataAuthenticationHandler.SchemeName;

    /// <summary>
    /// Also read <c>metadata</c> from the query string. Only the pull: one of Zendesk's pull examples sends its
    /// parameters there (channel-framework.md §3). Everywhere else it is a form field, never in a URL, since URLs end
    /// up in logs and metadata is a bearer credential.
    /// </summary>
    public bool AllowQueryString { get; init; }

    /// <summary>The 401 message when the request carried no metadata at all.</summary>
    public string MissingMessage { get; init; } = DefaultMissingMessage;
}
