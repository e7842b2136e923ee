using System.Security.Claims;
using System.Text.Encodings.Web;
using ChannelService.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ChannelService.Web;

/// <summary>
/// Who is calling, as an ASP.NET Core authentication scheme: Zendesk posts the account's <c>metadata</c> (ours,
/// encrypted and authenticated, spec §9) with every pull, channelback and probe. The handler decrypts it once, puts
/// the account into <see cref="CurrentAccount"/> and answers a missing or undecryptable one with the one 401 JSON
/// error every such endpoint gives. It reads the form (Zendesk posts <c>application/x-www-form-urlencoded</c>) and,
/// where <see cref="RequireAccountAttribute.AllowQueryString"/> says so, the query string. A form over the reader's
/// limits throws <see cref="InvalidDataException"/>, which <see cref="JsonErrors"/> answers as a 400.
/// </summary>
internal sealed class MetadataAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    MetadataCodec codec,
    CurrentAccount current)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ZendeskMetadata";

    /// <summary>The claim carrying the account id; the rest of the account lives in <see cref="CurrentAccount"/>.</summary>
    public const string AccountIdClaim = "account_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var metadata = await ReadMetadataAsync();
        if (string.IsNullOrEmpty(metadata))
        {
            return AuthenticateResult.NoResult();
        }

        if (!codec.TryDecode(metadata, out var account, out var reason))
        {
            return AuthenticateResult.Fail(MetadataRejectedException.Describe(reason, "The metadata") + ".");
        }

        current.Set(account);
        var identity = new ClaimsIdentity([new Claim(AccountIdClaim, account.AccountId)], Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await JsonErrors.WriteAsync(Context, new ErrorResponse(result.Failure?.Message ?? Requirement()?.MissingMessage ?? RequireAccountAttribute.DefaultMissingMessage));
    }

    private RequireAccountAttribute? Requirement() => Context.GetEndpoint()?.Metadata.GetMetadata<RequireAccountAttribute>();

    private async Task<string?> ReadMetadataAsync()
    {
        if (Request.HasFormContentType)
        {
            var form = await Request.ReadFormAsync(Context.RequestAborted);
            if (form.TryGetValue("metadata", out var posted) && !string.IsNullOrEmpty(posted))
            {
                return posted;
            }
        }

        return Requirement() is { AllowQueryString: true } ? (string?)Request.Query["metadata"] : null;
    }
}
