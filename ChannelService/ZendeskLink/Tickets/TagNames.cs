using System.Globalization;
using System.Text;

namespace ChannelService.ZendeskLink.Tickets;

/// <summary>
/// CATEGORIES as Zendesk tags. Zendesk stores tags in lower case and a tag is one word: a space separates two tags
/// in the agent interface, and Zendesk's tag docs show multi-word tags joined by underscores
/// (https://support.zendesk.com/hc/en-us/articles/4408888664474, "About tags"). The exact server-side rewriting is
/// not documented, so the safe reading is to send tags already in that form: lower case, every run of whitespace or
/// characters Zendesk's tag docs warn about (<c># @ ! , ' "</c> and the like) becomes one underscore, leading and
/// trailing underscores go, at most 80 characters. Then what Zendesk stores equals what we remember having added,
/// and removing it later removes the right tag.
/// </summary>
internal static class TagNames
{
    public const int MaxLength = 80;

    /// <summary>The state tags (issue 17 §3): only these and the category tags are ever added or removed by the service.</summary>
    public const string EventUpcoming = "event_upcoming";
    public const string EventInProgress = "event_in_progress";
    public const string EventEnded = "event_ended";
    public const string EventCancelled = "event_cancelled";
    public const string EventMoved = "event_moved";
    public const string TaskOverdue = "task_overdue";

    public static IReadOnlyList<string> FromCategories(IEnumerable<string> categories) =>
        categories.Select(Normalise).OfType<string>().Distinct(StringComparer.Ordinal).Take(50).ToList();

    public static string? Normalise(string category)
    {
        var text = new StringBuilder(category.Length);
        var pendingSeparator = false;
        foreach (var c in category.Normalize(NormalizationForm.FormC))
        {
            var keep = char.IsLetterOrDigit(c) || c is '-' || c is '/' || c is ':' || c is '.';
            if (!keep)
            {
                pendingSeparator = text.Length > 0;
                continue;
            }

            if (pendingSeparator)
            {
                text.Append('_');
                pendingSeparator = false;
            }

            text.Append(char.ToLower(c, CultureInfo.InvariantCulture));
        }

        var tag = text.ToString();
        if (tag.Length > MaxLength)
        {
            tag = tag[..MaxLength].TrimEnd('_');
        }

        return tag.Length == 0 ? null : tag;
    }
}
