using System.Text.RegularExpressions;

namespace ChannelService.Tickets;

/// <summary>An agent's reply found as a marked block in an item's DESCRIPTION.</summary>
public sealed record DescriptionReply(string CommentId, string Text);

/// <summary>
/// The marked blocks channelback appends to an item's DESCRIPTION (account option <c>reply_target</c> description
/// or both): a blank line, <c>--- Reply from Zendesk (&lt;comment id&gt;) ---</c>, the reply, <c>--- End of reply ---</c>.
/// <para>
/// Everything that reads a description for Zendesk (the snapshot a ticket is compared by, change sentences, the
/// clickthrough page) reads it with these blocks taken out: a reply is already a comment on the ticket, so finding it
/// again in the source is no change. Servers and clients rewrite what they store (Nextcloud, for one, reflows and
/// re-escapes text; others turn LF into CRLF or pad lines), so the markers are recognised line by line, with any
/// line break, surrounding whitespace, spacing inside the dashes and Markdown-escaped dashes; and the text outside the blocks is compared in
/// one normal form (LF line breaks, no trailing whitespace on a line, no blank lines at either end), so such a
/// rewrite of the producer's own text is no change either.
/// </para>
/// </summary>
public static partial class ReplyBlocks
{
    public const string EndLine = "--- End of reply ---";

    /// <summary>The first line of a reply block.</summary>
    public static string StartLine(string commentId) => $"--- Reply from Zendesk ({commentId}) ---";

    /// <summary>The text appended to a description for a reply (before iCalendar escaping).</summary>
    public static string Block(string commentId, string text, bool descriptionWasEmpty) =>
        (descriptionWasEmpty ? string.Empty : "\n\n") + StartLine(commentId) + "\n" + NormalizeNewlines(text) + "\n" + EndLine;

    /// <summary>The description without reply blocks, in normal form; null when nothing else is left.</summary>
    public static string? Strip(string? description) => Split(description).Text;

    /// <summary>
    /// Separates a description into what people wrote (normal form; null when empty) and the replies in it, in
    /// order. A start line whose end line is missing (someone deleted it), or that is followed by another start line
    /// before its end, opens no block: its lines stay text, since cutting there could swallow a person's words.
    /// </summary>
    public static (string? Text, IReadOnlyList<DescriptionReply> Replies) Split(string? description)
    {
        if (string.IsNullOrWhiteSpace(description))
        {
            return (null, []);
        }

        var lines = NormalizeNewlines(description).Split('\n');
        var kept = new List<string>(lines.Length);
        var replies = new List<DescriptionReply>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (StartId(lines[i]) is { } id && EndOf(lines, i) is { } end)
            {
                // The blank line(s) the block was appended after belong to it.
                while (kept.Count > 0 && kept[^1].Length == 0)
                {
                    kept.RemoveAt(kept.Count - 1);
                }

                replies.Add(new DescriptionReply(id, string.Join('\n', lines[(i + 1)..end].Select(l => l.TrimEnd())).Trim('\n')));
                i = end;
                continue;
            }

            kept.Add(lines[i].TrimEnd());
        }

        var text = string.Join('\n', kept).Trim();
        return (text.Length == 0 ? null : text, replies);
    }

    /// <summary>Whether the description holds a start line for this reply (with or without its end line: enough to know it was written).</summary>
    public static bool Contains(string? description, string commentId) =>
        description is not null && NormalizeNewlines(description).Split('\n').Any(l => StartId(l) == commentId);

    private static int? EndOf(string[] lines, int start)
    {
        for (var j = start + 1; j < lines.Length; j++)
        {
            if (EndPattern().IsMatch(lines[j]))
            {
                return j;
            }

            if (StartId(lines[j]) is not null)
            {
                return null;
            }
        }

        return null;
    }

    private static string? StartId(string line) => StartPattern().Match(line) is { Success: true } m ? m.Groups["id"].Value : null;

    private static string NormalizeNewlines(string text) =>
        text.Contains('\r', StringComparison.Ordinal) ? text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n') : text;

    // A dash may come back escaped (\-) from editors that store Markdown.
    [GeneratedRegex(@"^\s*(?:\\?-){3}\s*Reply from Zendesk\s*\((?<id>[^\n]+?)\)\s*(?:\\?-){3}\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex StartPattern();

    [GeneratedRegex(@"^\s*(?:\\?-){3}\s*End of reply\s*(?:\\?-){3}\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex EndPattern();
}
