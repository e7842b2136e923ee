namespace ChannelService.Calendars;

/// <summary>Value types of RFC 5545 §3.3 (plus <see cref="Unknown"/> for X- and unknown types, kept as text).</summary>
public enum IcalValueType
{
    Unknown,
    Text,
    Date,
    DateTime,
    Period,
    Duration,
    Uri,
    Binary,
    CalAddress,
    Integer,
    Float,
    Boolean,
    UtcOffset,
    Recur,
    Geo,
    RequestStatus,
}

/// <summary>Which value type a property holds: <c>VALUE=</c> first, then the property's default (RFC 5545 §3.8).</summary>
public static class IcalValueTypes
{
    public static IcalValueType Of(CalendarProperty property)
    {
        foreach (var p in property.ParameterSpan)
        {
            if (ReferenceEquals(p.Name, "VALUE") || p.Name == "VALUE")
            {
                var explicitType = Parse(p.Value);
                if (explicitType != IcalValueType.Unknown)
                {
                    return explicitType;
                }

                break; // unknown or X- value types are kept as text (calendar.md 2.3)
            }
        }

        return DefaultFor(property.Name);
    }

    public static IcalValueType Parse(string value) => value.ToUpperInvariant() switch
    {
        "TEXT" => IcalValueType.Text,
        "DATE" => IcalValueType.Date,
        "DATE-TIME" => IcalValueType.DateTime,
        "PERIOD" => IcalValueType.Period,
        "DURATION" => IcalValueType.Duration,
        "URI" => IcalValueType.Uri,
        "BINARY" => IcalValueType.Binary,
        "CAL-ADDRESS" => IcalValueType.CalAddress,
        "INTEGER" => IcalValueType.Integer,
        "FLOAT" => IcalValueType.Float,
        "BOOLEAN" => IcalValueType.Boolean,
        "UTC-OFFSET" => IcalValueType.UtcOffset,
        "RECUR" => IcalValueType.Recur,
        _ => IcalValueType.Unknown,
    };

    /// <summary>Default type of a property by name; unknown and X- properties default to TEXT.</summary>
    public static IcalValueType DefaultFor(string name) => name switch
    {
        "DTSTART" or "DTEND" or "DUE" or "RECURRENCE-ID" or "EXDATE" or "RDATE" or "COMPLETED" or "CREATED"
            or "DTSTAMP" or "LAST-MODIFIED" or "ACKNOWLEDGED" or "TZUNTIL" => IcalValueType.DateTime,
        "DURATION" or "TRIGGER" or "REFRESH-INTERVAL" => IcalValueType.Duration,
        "FREEBUSY" => IcalValueType.Period,
        "ATTACH" or "URL" or "TZURL" or "SOURCE" or "IMAGE" or "CONFERENCE" => IcalValueType.Uri,
        "ATTENDEE" or "ORGANIZER" => IcalValueType.CalAddress,
        "PRIORITY" or "PERCENT-COMPLETE" or "SEQUENCE" or "REPEAT" => IcalValueType.Integer,
        "TZOFFSETFROM" or "TZOFFSETTO" => IcalValueType.UtcOffset,
        "RRULE" or "EXRULE" => IcalValueType.Recur,
        "GEO" => IcalValueType.Geo,
        "REQUEST-STATUS" => IcalValueType.RequestStatus,
        _ => IcalValueType.Text,
    };
}
