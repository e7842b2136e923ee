namespace ChannelService.Calendars;

/// <summary>
/// Well-known component, property and parameter names as shared string instances. The reader hands out these
/// instances for every occurrence, so a feed with a million SUMMARY lines holds one "SUMMARY" string.
/// </summary>
public static class IcalNames
{
    public const string Begin = "BEGIN";
    public const string End = "END";

    public const string VCalendar = "VCALENDAR";
    public const string VEvent = "VEVENT";
    public const string VTodo = "VTODO";
    public const string VJournal = "VJOURNAL";
    public const string VTimeZone = "VTIMEZONE";
    public const string VAlarm = "VALARM";

    public const string Summary = "SUMMARY";
    public const string DtStart = "DTSTART";
    public const string Due = "DUE";
    public const string Uid = "UID";

    /// <summary>Parameters defined as lists of values (RFC 5545 §3.2.11, §3.2.4, §3.2.5): only these are split on commas.</summary>
    internal static bool IsListParameter(string name) => name is "MEMBER" or "DELEGATED-TO" or "DELEGATED-FROM";

    internal static readonly string[] Known =
    [
        Begin, End,
        VCalendar, VEvent, VTodo, VJournal, VTimeZone, VAlarm, "VFREEBUSY", "STANDARD", "DAYLIGHT", "VAVAILABILITY", "AVAILABLE",
        // properties (RFC 5545 §3.7, §3.8; RFC 7986)
        "CALSCALE", "METHOD", "PRODID", "VERSION", "ATTACH", "CATEGORIES", "CLASS", "COMMENT", "DESCRIPTION", "GEO",
        "LOCATION", "PERCENT-COMPLETE", "PRIORITY", "RESOURCES", "STATUS", Summary, "COMPLETED", "DTEND", Due, DtStart,
        "DURATION", "FREEBUSY", "TRANSP", "TZID", "TZNAME", "TZOFFSETFROM", "TZOFFSETTO", "TZURL", "ATTENDEE", "CONTACT",
        "ORGANIZER", "RECURRENCE-ID", "RELATED-TO", "URL", Uid, "EXDATE", "RDATE", "RRULE", "EXRULE", "ACTION", "REPEAT",
        "TRIGGER", "CREATED", "DTSTAMP", "LAST-MODIFIED", "SEQUENCE", "REQUEST-STATUS", "NAME", "REFRESH-INTERVAL",
        "SOURCE", "COLOR", "IMAGE", "CONFERENCE", "ACKNOWLEDGED", "TZUNTIL", "TZID-ALIAS-OF",
        "X-WR-CALNAME", "X-WR-TIMEZONE", "X-WR-CALDESC", "X-WR-RELCALID", "X-ALT-DESC", "X-LIC-LOCATION", "X-LIC-ERROR",
        "X-MICROSOFT-CDO-ALLDAYEVENT", "X-MICROSOFT-CDO-BUSYSTATUS", "X-MICROSOFT-CDO-IMPORTANCE", "X-MICROSOFT-CDO-INTENDEDSTATUS",
        "X-MOZ-GENERATION", "X-MOZ-LASTACK", "X-APPLE-STRUCTURED-LOCATION", "X-PUBLISHED-TTL",
        // parameters (RFC 5545 §3.2, RFC 7986)
        "ALTREP", "CN", "CUTYPE", "DELEGATED-FROM", "DELEGATED-TO", "DIR", "ENCODING", "FMTTYPE", "FBTYPE", "LANGUAGE",
        "MEMBER", "PARTSTAT", "RANGE", "RELATED", "RELTYPE", "ROLE", "RSVP", "SENT-BY", "VALUE", "DISPLAY", "EMAIL",
        "FEATURE", "LABEL", "X-NUM-GUESTS", "X-RESPONSE-COMMENT",
        // frequent parameter values
        "DATE", "DATE-TIME", "TEXT", "URI", "BINARY", "BASE64", "PERIOD", "CAL-ADDRESS", "UTC-OFFSET", "INTEGER", "BOOLEAN",
        "REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT", "CHAIR", "NEEDS-ACTION", "ACCEPTED", "DECLINED",
        "TENTATIVE", "DELEGATED", "INDIVIDUAL", "GROUP", "RESOURCE", "ROOM", "UNKNOWN", "TRUE", "FALSE", "PARENT",
        "CHILD", "SIBLING", "START", "END", "THISANDFUTURE", "UTC", "Europe/Berlin", "text/html", "text/plain",
    ];
}
