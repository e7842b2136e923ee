using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace ChannelService.Tickets;

/// <summary>
/// Reads back the ids of <see cref="ExternalIds"/> that Zendesk hands us (clickthrough, event callbacks): every id we
/// mint starts with its thread, <c>{account id}-{24-character base32 unit key}</c> (design §4), then an optional
/// suffix of ours. Only the shape is checked here; whether the thread exists is for the stores to say.
/// </summary>
internal static partial class ExternalIdShape
{
    /// <summary>The account id and unit key of an id of our shape; false for anything else.</summary>
    public static bool TryParse([NotNullWhen(true)] string? externalId, out string accountId, out string unitKey)
    {
        if (externalId is not null && IdShape().Match(externalId) is { Success: true } match)
        {
            accountId = match.Groups["account"].Value;
            unitKey = match.Groups["unit"].Value;
            return true;
        }

        accountId = unitKey = string.Empty;
        return false;
    }

    /// <summary>Account id (ExternalIds.Check), a 24-character base32 unit key, then an optional suffix of ours.</summary>
    [GeneratedRegex("^(?<account>[A-Za-z0-9_]{1,64})-(?<unit>[a-z2-7]{24})(?:-[a-z0-9-]{1,200})?$", RegexOptions.CultureInvariant)]
    private static partial Regex IdShape();
}
