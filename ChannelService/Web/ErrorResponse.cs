namespace ChannelService.Web;

/// <summary>The JSON body of every error the service answers to Zendesk and API callers.</summary>
public sealed record ErrorResponse(string Error, string? Detail = null);
