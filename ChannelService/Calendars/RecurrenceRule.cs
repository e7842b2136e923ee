using System.Globalization;
using System.Text;
using NodaTime;

namespace ChannelService.Calendars;

public enum RecurrenceFrequency
{
    Secondly,
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// <summary>One BYDAY entry: <c>MO</c> (Ordinal 0), <c>2TU</c>, <c>-1FR</c>.</summary>
public readonly record struct WeekdayNum(int Ordinal, IsoDayOfWeek Day);

/// <summary>
/// A parsed RRULE value (RFC 5545 §3.3.10). Parsing is lenient about what real producers write
/// (lower case, spaces in <c>BYDAY=MO, TU</c> from Exchange CDO, unknown X- parts) and strict about values
/// that would change the meaning (out-of-range BYxxx numbers fail the rule rather than being dropped).
/// </summary>
public sealed class RecurrenceRule
{
    public RecurrenceFrequency Frequency { get; init; }

    public int Interval { get; init; } = 1;

    public int? Count { get; init; }

    public IcalDateTime? Until { get; init; }

    public int[] BySecond { get; init; } = [];

    public int[] ByMinute { get; init; } = [];

    public int[] ByHour { get; init; } = [];

    public WeekdayNum[] ByDay { get; init; } = [];

    public int[] ByMonthDay { get; init; } = [];

    public int[] ByYearDay { get; init; } = [];

    public int[] ByWeekNo { get; init; } = [];

    public int[] ByMonth { get; init; } = [];

    public int[] BySetPos { get; init; } = [];

    public IsoDayOfWeek WeekStart { get; init; } = IsoDayOfWeek.Monday;

    public static RecurrenceRule Parse(string text) =>
        TryParse(text, out var rule, out var error) ? rule : throw new FormatException(error);

    public static bool TryParse(string? text, out RecurrenceRule rule, out string? error)
    {
        rule = null!;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty RRULE";
            return false;
        }

        RecurrenceFrequency? freq = null;
        int interval = 1;
        int? count = null;
        IcalDateTime? until = null;
        int[] bySecond = [], byMinute = [], byHour = [], byMonthDay = [], byYearDay = [], byWeekNo = [], byMonth = [], bySetPos = [];
        WeekdayNum[] byDay = [];
        var wkst = IsoDayOfWeek.Monday;

        foreach (var rawPart in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = rawPart.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                if (string.IsNullOrWhiteSpace(rawPart))
                {
                    continue;
                }

                error = $"RRULE part without '=': {rawPart.Trim()}";
                return false;
            }

            var key = rawPart[..eq].Trim().ToUpperInvariant();
            var value = rawPart[(eq + 1)..].Trim();
            switch (key)
            {
                case "FREQ":
                    freq = value.ToUpperInvariant() switch
                    {
                        "SECONDLY" => RecurrenceFrequency.Secondly,
                        "MINUTELY" => RecurrenceFrequency.Minutely,
                        "HOURLY" => RecurrenceFrequency.Hourly,
                        "DAILY" => RecurrenceFrequency.Daily,
                        "WEEKLY" => RecurrenceFrequency.Weekly,
                        "MONTHLY" => RecurrenceFrequency.Monthly,
                        "YEARLY" => RecurrenceFrequency.Yearly,
                        _ => null,
                    };
                    if (freq is null)
                    {
                        error = $"unknown FREQ {value}";
                        return false;
                    }

                    break;
                case "INTERVAL":
                    // INTERVAL=0 or junk: RFC 5545 says the default is 1; treat it so rather than dropping the series.
                    interval = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var iv) && iv > 0 ? iv : 1;
                    break;
                case "COUNT":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) || c < 0)
                    {
                        error = $"bad COUNT {value}";
                        return false;
                    }

                    count = c;
                    break;
                case "UNTIL":
                    if (!IcalDateTime.TryParse(value, null, null, out var u))
                    {
                        error = $"bad UNTIL {value}";
                        return false;
                    }

                    until = u;
                    break;
                case "BYSECOND" when !TryList(value, 0, 60, false, out bySecond):
                case "BYMINUTE" when !TryList(value, 0, 59, false, out byMinute):
                case "BYHOUR" when !TryList(value, 0, 23, false, out byHour):
                case "BYMONTHDAY" when !TryList(value, 1, 31, true, out byMonthDay):
                case "BYYEARDAY" when !TryList(value, 1, 366, true, out byYearDay):
                case "BYWEEKNO" when !TryList(value, 1, 53, true, out byWeekNo):
                case "BYMONTH" when !TryList(value, 1, 12, false, out byMonth):
                case "BYSETPOS" when !TryList(value, 1, 366, true, out bySetPos):
                case "BYDAY" when !TryByDay(value, out byDay):
                    error = $"bad {key} {value}";
                    return false;
                case "WKST":
                    if (!TryWeekday(value.AsSpan().Trim(), out wkst))
                    {
                        error = $"bad WKST {value}";
                        return false;
                    }

                    break;
                default:
                    // Known parts were handled by the guarded cases; X- and unknown parts are ignored (RFC 5545 §3.3.10 x-name).
                    break;
            }
        }

        if (freq is null)
        {
            error = "RRULE without FREQ";
            return false;
        }

        rule = new RecurrenceRule
        {
            Frequency = freq.Value,
            Interval = interval,
            Count = count,
            Until = until,
            BySecond = bySecond,
            ByMinute = byMinute,
            ByHour = byHour,
            ByDay = byDay,
            ByMonthDay = byMonthDay,
            ByYearDay = byYearDay,
            ByWeekNo = byWeekNo,
            ByMonth = byMonth,
            BySetPos = bySetPos,
            WeekStart = wkst,
        };
        return true;
    }

    /// <summary>Canonical text (fixed part order, sorted lists): equal rules print equally, so duplicates are found.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("FREQ=").Append(Frequency.ToString().ToUpperInvariant());
        if (Interval != 1)
        {
            sb.Append(";INTERVAL=").Append(Interval);
        }

        if (Count is { } c)
        {
            sb.Append(";COUNT=").Append(c);
        }

        if (Until is { } u)
        {
            sb.Append(";UNTIL=").Append(u.ToString());
        }

        void List(string name, int[] values)
        {
            if (values.Length > 0)
            {
                sb.Append(';').Append(name).Append('=').AppendJoin(',', values.Order());
            }
        }

        List("BYSECOND", BySecond);
        List("BYMINUTE", ByMinute);
        List("BYHOUR", ByHour);
        if (ByDay.Length > 0)
        {
            sb.Append(";BYDAY=").AppendJoin(',', ByDay.OrderBy(d => d.Day).ThenBy(d => d.Ordinal)
                .Select(d => (d.Ordinal != 0 ? d.Ordinal.ToString(CultureInfo.InvariantCulture) : string.Empty) + DayCode(d.Day)));
        }

        List("BYMONTHDAY", ByMonthDay);
        List("BYYEARDAY", ByYearDay);
        List("BYWEEKNO", ByWeekNo);
        List("BYMONTH", ByMonth);
        List("BYSETPOS", BySetPos);
        if (WeekStart != IsoDayOfWeek.Monday)
        {
            sb.Append(";WKST=").Append(DayCode(WeekStart));
        }

        return sb.ToString();
    }

    private static string DayCode(IsoDayOfWeek d) => d switch
    {
        IsoDayOfWeek.Monday => "MO",
        IsoDayOfWeek.Tuesday => "TU",
        IsoDayOfWeek.Wednesday => "WE",
        IsoDayOfWeek.Thursday => "TH",
        IsoDayOfWeek.Friday => "FR",
        IsoDayOfWeek.Saturday => "SA",
        _ => "SU",
    };

    private static bool TryList(string value, int min, int max, bool allowNegative, out int[] result)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        result = new int[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            if (!int.TryParse(items[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            {
                return false;
            }

            var abs = Math.Abs(n);
            if ((n < 0 && !allowNegative) || abs < min || abs > max || (n == 0 && min > 0))
            {
                return false;
            }

            result[i] = n;
        }

        result = result.Distinct().ToArray();
        return result.Length > 0;
    }

    private static bool TryByDay(string value, out WeekdayNum[] result)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        result = new WeekdayNum[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i].AsSpan();
            if (item.Length < 2 || !TryWeekday(item[^2..], out var day))
            {
                return false;
            }

            var ordinal = 0;
            var num = item[..^2].Trim();
            if (num.Length > 0)
            {
                if (!int.TryParse(num, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out ordinal) || ordinal == 0 || Math.Abs(ordinal) > 53)
                {
                    return false;
                }
            }

            result[i] = new WeekdayNum(ordinal, day);
        }

        result = result.Distinct().ToArray();
        return result.Length > 0;
    }

    private static bool TryWeekday(ReadOnlySpan<char> code, out IsoDayOfWeek day)
    {
        day = IsoDayOfWeek.None;
        if (code.Length != 2)
        {
            return false;
        }

        var a = (char)(code[0] & ~0x20);
        var b = (char)(code[1] & ~0x20);
        day = (a, b) switch
        {
            ('M', 'O') => IsoDayOfWeek.Monday,
            ('T', 'U') => IsoDayOfWeek.Tuesday,
            ('W', 'E') => IsoDayOfWeek.Wednesday,
            ('T', 'H') => IsoDayOfWeek.Thursday,
            ('F', 'R') => IsoDayOfWeek.Friday,
            ('S', 'A') => IsoDayOfWeek.Saturday,
            ('S', 'U') => IsoDayOfWeek.Sunday,
            _ => IsoDayOfWeek.None,
        };
        return day != IsoDayOfWeek.None;
    }
}
