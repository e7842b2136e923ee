using System.Globalization;
using ChannelService.Calendars;
using NodaTime;
using NodaTime.Text;

namespace ChannelService.Channelback;

internal enum ReplyCommandKind
{
    Done,
    Reopen,
    Due,
}

/// <summary>A command on the first line of an agent's reply (<c>#done</c>, <c>#reopen</c>, <c>#due …</c>) and the text left for the comment.</summary>
internal sealed record ReplyCommand(ReplyCommandKind Kind, IcalDateTime? Due, string RemainingText);

/// <summary>Why a reply's first line looked like a command but could not be used.</summary>
internal sealed class ReplyCommandException(string message) : Exception(message);

/// <summary>
/// Reads the reply commands for tasks. Only the first line counts, so a <c>#done</c> quoted further down a
/// reply never completes a task by accident; an unknown <c>#word</c> is ordinary text.
/// </summary>
internal static class ReplyCommandParser
{
    private static readonly LocalDatePattern DatePattern = LocalDatePattern.Iso;

    private static readonly LocalDateTimePattern[] DateTimePatterns =
    [
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mm"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mm"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mm:ss"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mm:ss"),
    ];

    /// <summary>
    /// The command on the first line, or null when there is none. A time without <c>Z</c> is read in
    /// <paramref name="timeZone"/> (the account's <c>time_zone</c>; UTC when unset) and written as UTC, which
    /// needs no VTIMEZONE in the task (RFC 5545 §3.3.5, form #2).
    /// </summary>
    /// <exception cref="ReplyCommandException"><c>#due</c> with a missing or malformed date.</exception>
    public static ReplyCommand? Parse(string message, string? timeZone)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = message.TrimStart();
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        var first = (end < 0 ? text : text[..end]).Trim();
        var rest = end < 0 ? string.Empty : text[(end + 1)..].Trim();
        var space = first.IndexOfAny([' ', '\t']);
        var word = (space < 0 ? first : first[..space]).ToLowerInvariant();
        var argument = space < 0 ? string.Empty : first[(space + 1)..].Trim();
        return word switch
        {
            "#done" when argument.Length == 0 => new ReplyCommand(ReplyCommandKind.Done, null, rest),
            "#reopen" when argument.Length == 0 => new ReplyCommand(ReplyCommandKind.Reopen, null, rest),
            "#due" => new ReplyCommand(ReplyCommandKind.Due, ParseDue(argument, timeZone), rest),
            _ => null,
        };
    }

    private static IcalDateTime ParseDue(string argument, string? timeZone)
    {
        if (argument.Length == 0)
        {
            throw new ReplyCommandException("#due needs a date, e.g. \"#due 2026-12-01\" or \"#due 2026-12-01 17:00\".");
        }

        if (DatePattern.Parse(argument) is { Success: true } date)
        {
            return IcalDateTime.ForDate(date.Value);
        }

        var utc = argument.EndsWith('Z') || argument.EndsWith('z');
        var local = utc ? argument[..^1] : argument;
        foreach (var pattern in DateTimePatterns)
        {
            if (pattern.Parse(local) is { Success: true } parsed)
            {
                var zone = utc || string.IsNullOrEmpty(timeZone) ? DateTimeZone.Utc : DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) ?? DateTimeZone.Utc;

                // A wall time skipped by a DST gap moves forward, one repeated by a fold takes the earlier instant.
                var instant = parsed.Value.InZoneLeniently(zone).ToInstant();
                return IcalDateTime.ForUtc(instant);
            }
        }

        throw new ReplyCommandException(string.Create(CultureInfo.InvariantCulture, $"#due could not read \"{Truncate(argument)}\": write a date as 2026-12-01, optionally with a time, 2026-12-01 17:00."));
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
