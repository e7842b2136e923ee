using System.Globalization;
using NodaTime;
using NodaTime.Text;

namespace ChannelService.Tickets;

/// <summary>How times and people read in ticket text, in the account's zone (English; localisation comes with the admin UI).</summary>
public static class TicketText
{
    private static readonly LocalDateTimePattern DayAndTime = LocalDateTimePattern.Create("ddd d MMM HH:mm", CultureInfo.InvariantCulture);
    private static readonly LocalDateTimePattern DayAndSeconds = LocalDateTimePattern.Create("ddd d MMM HH:mm:ss", CultureInfo.InvariantCulture);
    private static readonly LocalDateTimePattern DayYearAndTime = LocalDateTimePattern.Create("ddd d MMM yyyy HH:mm", CultureInfo.InvariantCulture);
    private static readonly LocalDatePattern Day = LocalDatePattern.Create("ddd d MMM", CultureInfo.InvariantCulture);
    private static readonly LocalDatePattern DayAndYear = LocalDatePattern.Create("ddd d MMM yyyy", CultureInfo.InvariantCulture);

    /// <summary>"Tue 25 Nov 17:00", or "Tue 25 Nov" for all-day values; the year is added when it is not <paramref name="contextYear"/>.</summary>
    public static string Format(SnapshotTime time, DateTimeZone zone, int? contextYear = null)
    {
        if (time.AllDay)
        {
            var date = time.Instant.InUtc().Date;
            return (date.Year == (contextYear ?? date.Year) ? Day : DayAndYear).Format(date);
        }

        var local = time.Instant.InZone(zone).LocalDateTime;
        return (local.Year == (contextYear ?? local.Year) ? DayAndTime : DayYearAndTime).Format(local);
    }

    /// <summary>Zendesk's limit for a ticket subject.</summary>
    public const int MaxSubjectLength = 255;

    /// <summary>
    /// A ticket's subject: the item's summary; for one occurrence of a series, followed by the occurrence's date in
    /// the account's zone, in <paramref name="culture"/> (English when null), so that a view can tell the tickets of
    /// one series apart ("Support stand-up – Mon 23 Nov 2026"). A long summary is cut, the date kept.
    /// </summary>
    public static string Subject(string? summary, SnapshotTime? occurrenceStart, DateTimeZone zone, CultureInfo? culture = null)
    {
        var title = summary ?? "(no title)";
        if (occurrenceStart is null)
        {
            return Cut(title, MaxSubjectLength);
        }

        var date = occurrenceStart.AllDay ? occurrenceStart.Instant.InUtc().Date : occurrenceStart.Instant.InZone(zone).Date;
        var suffix = " – " + (culture is null
            ? DayAndYear.Format(date)
            : culture.DateTimeFormat.GetAbbreviatedDayName(date.ToDateTimeUnspecified().DayOfWeek) + " " + date.ToDateTimeUnspecified().ToString("d", culture));
        return Cut(title, MaxSubjectLength - suffix.Length) + suffix;
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];

    /// <summary>With seconds: for two times that read the same to the minute.</summary>
    public static string FormatPrecise(SnapshotTime time, DateTimeZone zone) =>
        time.AllDay ? Format(time, zone) : DayAndSeconds.Format(time.Instant.InZone(zone).LocalDateTime);

    public static string Status(string? status) => status switch
    {
        null => "none",
        "NEEDS-ACTION" => "needs action",
        "IN-PROCESS" => "in progress",
        "COMPLETED" => "completed",
        "CANCELLED" => "cancelled",
        "TENTATIVE" => "tentative",
        "CONFIRMED" => "confirmed",
        "DRAFT" => "draft",
        "FINAL" => "final",
        _ => status.ToLowerInvariant(),
    };

    /// <summary>RFC 5545 §3.8.1.9: 1-4 high, 5 normal, 6-9 low.</summary>
    public static string Priority(int? priority) => priority switch
    {
        null => "none",
        <= 4 => $"high ({priority})",
        5 => "normal (5)",
        _ => $"low ({priority})",
    };

    public static string Participation(string? status) => status switch
    {
        "ACCEPTED" => "accepted",
        "DECLINED" => "declined",
        "TENTATIVE" => "tentatively accepted",
        "DELEGATED" => "delegated",
        "COMPLETED" => "completed",
        "IN-PROCESS" => "is working on it",
        _ => "has not answered",
    };

    /// <summary>The first <paramref name="max"/> characters on one line, cut at a word where possible.</summary>
    public static string Excerpt(string? text, int max = 120)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return string.Empty;
        }

        var flat = string.Join(' ', text.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        if (flat.Length <= max)
        {
            return flat;
        }

        var cut = flat.LastIndexOf(' ', max);
        return (cut > max / 2 ? flat[..cut] : flat[..max]) + "…";
    }
}
