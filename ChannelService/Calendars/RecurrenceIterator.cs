using NodaTime;

namespace ChannelService.Calendars;

/// <summary>Why an enumeration stopped.</summary>
public enum RecurrenceStop
{
    /// <summary>The rule ended (COUNT, UNTIL) or the window end was passed.</summary>
    Completed,

    /// <summary>The occurrence cap was reached: more occurrences exist.</summary>
    OccurrenceCap,

    /// <summary>The work budget ran out (a hostile or impossible rule): the output is incomplete.</summary>
    WorkCap,
}

/// <summary>
/// Generates the wall-clock start times of one RRULE (RFC 5545 §3.3.10, §3.8.5.3) without allocating per occurrence.
/// Each period of the rule (a year, month, week, day, hour, minute or second, stepped by INTERVAL) gets a candidate set:
/// the period's days filtered by the BYxxx day parts, times the expanded time parts, then BYSETPOS. Expanding and
/// limiting parts (the table in §3.3.10) both reduce to filtering the period's days, which keeps the code small.
/// Dates are plain epoch-day integers here; LocalDateTime is built only for emitted occurrences.
/// </summary>
internal sealed class RecurrenceIterator
{
    private readonly RecurrenceRule rule;
    private readonly int startDay;
    private readonly int startSecondOfDay;
    private readonly bool isDate;

    private readonly bool[] monthMask = new bool[13];
    private readonly bool[] monthDayPos = new bool[32];
    private readonly bool[] monthDayNeg = new bool[32];
    private readonly bool[] yearDayPos = new bool[367];
    private readonly bool[] yearDayNeg = new bool[367];
    private readonly bool[] weekNoPos = new bool[54];
    private readonly bool[] weekNoNeg = new bool[54];
    private readonly bool[] plainDays = new bool[7];
    private readonly bool[,] ordinalPos = new bool[7, 54];
    private readonly bool[,] ordinalNeg = new bool[7, 54];
    private readonly bool[] hourMask = new bool[24];
    private readonly bool[] minuteMask = new bool[60];
    private readonly bool[] secondMask = new bool[61];
    private readonly bool hasMonth, hasMonthDay, hasYearDay, hasWeekNo, hasDay, hasOrdinalDay, hasHour, hasMinute, hasSecond;
    private readonly int[] hours, minutes, seconds;
    private readonly int weekStart;
    private readonly bool ordinalsInMonth;

    private readonly List<int> days = new(366);
    private readonly List<long> candidates = new(400);
    private readonly List<long> selected = new(400);

    public RecurrenceIterator(RecurrenceRule rule, LocalDateTime dtstart, bool isDate)
    {
        this.rule = rule;
        this.isDate = isDate;
        startDay = DaysFromCivil(dtstart.Year, dtstart.Month, dtstart.Day);
        startSecondOfDay = isDate ? 0 : (dtstart.Hour * 3600) + (dtstart.Minute * 60) + dtstart.Second;
        weekStart = (int)rule.WeekStart - 1;

        var byMonth = rule.ByMonth;
        var byMonthDay = rule.ByMonthDay;
        var byDay = rule.ByDay;

        // RFC 5545 §3.3.10: parts missing from the rule are taken from DTSTART (same choice as python-dateutil).
        if (rule.ByWeekNo.Length == 0 && rule.ByYearDay.Length == 0 && byMonthDay.Length == 0 && byDay.Length == 0)
        {
            switch (rule.Frequency)
            {
                case RecurrenceFrequency.Yearly:
                    if (byMonth.Length == 0)
                    {
                        byMonth = [dtstart.Month];
                    }

                    byMonthDay = [dtstart.Day];
                    break;
                case RecurrenceFrequency.Monthly:
                    byMonthDay = [dtstart.Day];
                    break;
                case RecurrenceFrequency.Weekly:
                    byDay = [new WeekdayNum(0, dtstart.DayOfWeek)];
                    break;
                default:
                    break;
            }
        }

        hasMonth = Mark(byMonth, monthMask, null);
        hasMonthDay = Mark(byMonthDay, monthDayPos, monthDayNeg);
        hasYearDay = Mark(rule.ByYearDay, yearDayPos, yearDayNeg);
        hasWeekNo = rule.Frequency == RecurrenceFrequency.Yearly && Mark(rule.ByWeekNo, weekNoPos, weekNoNeg);

        // Ordinal BYDAY only means something for MONTHLY and YEARLY (§3.3.10); elsewhere, and next to BYWEEKNO, it is read as the plain weekday.
        var ordinalsAllowed = rule.Frequency is RecurrenceFrequency.Monthly or RecurrenceFrequency.Yearly && !hasWeekNo;
        ordinalsInMonth = rule.Frequency == RecurrenceFrequency.Monthly || hasMonth;
        foreach (var d in byDay)
        {
            var wd = (int)d.Day - 1;
            hasDay = true;
            if (d.Ordinal == 0 || !ordinalsAllowed)
            {
                plainDays[wd] = true;
            }
            else if (d.Ordinal > 0)
            {
                ordinalPos[wd, d.Ordinal] = true;
                hasOrdinalDay = true;
            }
            else
            {
                ordinalNeg[wd, -d.Ordinal] = true;
                hasOrdinalDay = true;
            }
        }

        hasHour = Mark(rule.ByHour, hourMask, null);
        hasMinute = Mark(rule.ByMinute, minuteMask, null);
        hasSecond = Mark(rule.BySecond, secondMask, null);
        if (isDate)
        {
            hours = [0];
            minutes = [0];
            seconds = [0];
        }
        else
        {
            hours = hasHour ? rule.ByHour.Order().ToArray() : [dtstart.Hour];
            minutes = hasMinute ? rule.ByMinute.Order().ToArray() : [dtstart.Minute];
            seconds = hasSecond ? rule.BySecond.Select(s => Math.Min(s, 59)).Distinct().Order().ToArray() : [dtstart.Second];
        }
    }

    /// <summary>
    /// Appends to <paramref name="output"/> every start (wall clock as <see cref="Key"/> seconds) in [<paramref name="windowStart"/>, <paramref name="windowEnd"/>].
    /// DTSTART itself is always the first occurrence and counts toward COUNT (RFC 5545 §3.8.5.3).
    /// <paramref name="until"/> is UNTIL already coerced into DTSTART's frame (inclusive).
    /// Every period and candidate costs one unit of <paramref name="budget"/>.
    /// </summary>
    public RecurrenceStop Enumerate(LocalDateTime? until, LocalDateTime windowStart, LocalDateTime windowEnd, int maxOccurrences, ref long budget, List<long> output)
    {
        var untilKey = until is { } u ? Key(u) : long.MaxValue;
        var winStart = Key(windowStart);
        var winEnd = Key(windowEnd);
        var startKey = ((long)startDay * 86400) + startSecondOfDay;
        var count = rule.Count;
        var emitted = 0;
        var produced = 0;

        bool Emit(long key, List<long> output, ref int emitted)
        {
            if (key >= winStart)
            {
                output.Add(key);
                emitted++;
            }

            return emitted < maxOccurrences;
        }

        if (startKey > untilKey || startKey > winEnd || count == 0)
        {
            if (startKey <= winEnd && count != 0)
            {
                Emit(startKey, output, ref emitted);
            }

            return RecurrenceStop.Completed;
        }

        produced++;
        if (!Emit(startKey, output, ref emitted))
        {
            return RecurrenceStop.OccurrenceCap;
        }

        if (produced >= count)
        {
            return RecurrenceStop.Completed;
        }

        var interval = rule.Interval;
        var freq = rule.Frequency;
        if (isDate && freq < RecurrenceFrequency.Daily)
        {
            // Sub-daily steps on an all-day start repeat the same date; RFC 5545 leaves this undefined.
            freq = RecurrenceFrequency.Daily;
        }

        long k = 0;
        if (count is null && winStart > startKey)
        {
            // Without COUNT no state carries over between periods, so jump close to the window start.
            k = Math.Max(0, PeriodsBetween(freq, startKey, winStart) / interval - 1);
        }

        var (sy, sm, _) = CivilFromDays(startDay);
        var weekAnchor = startDay - Mod(Weekday(startDay) - weekStart, 7);
        var unit = freq switch
        {
            RecurrenceFrequency.Hourly => 3600L,
            RecurrenceFrequency.Minutely => 60L,
            _ => 1L,
        };
        var subDailyAnchor = freq switch
        {
            RecurrenceFrequency.Hourly => startKey - (startSecondOfDay % 3600),
            RecurrenceFrequency.Minutely => startKey - (startSecondOfDay % 60),
            _ => startKey,
        };

        while (true)
        {
            if (--budget < 0)
            {
                return RecurrenceStop.WorkCap;
            }

            candidates.Clear();
            long periodStart;
            switch (freq)
            {
                case RecurrenceFrequency.Yearly:
                    {
                        var year = sy + (k * interval);
                        if (year > 9999)
                        {
                            return RecurrenceStop.Completed;
                        }

                        periodStart = (long)DaysFromCivil((int)year, 1, 1) * 86400;
                        if (periodStart > untilKey || periodStart > winEnd)
                        {
                            return RecurrenceStop.Completed;
                        }

                        YearDays((int)year);
                        break;
                    }

                case RecurrenceFrequency.Monthly:
                    {
                        var mi = (sy * 12L) + (sm - 1) + (k * interval);
                        var year = (int)(mi / 12);
                        var month = (int)(mi % 12) + 1;
                        if (year > 9999)
                        {
                            return RecurrenceStop.Completed;
                        }

                        periodStart = (long)DaysFromCivil(year, month, 1) * 86400;
                        if (periodStart > untilKey || periodStart > winEnd)
                        {
                            return RecurrenceStop.Completed;
                        }

                        days.Clear();
                        if (!hasMonth || monthMask[month])
                        {
                            MonthDays(year, month);
                        }

                        break;
                    }

                case RecurrenceFrequency.Weekly:
                    {
                        var first = weekAnchor + (k * 7 * interval);
                        periodStart = first * 86400;
                        if (periodStart > untilKey || periodStart > winEnd || first > MaxDay)
                        {
                            return RecurrenceStop.Completed;
                        }

                        days.Clear();
                        for (var d = (int)first; d < first + 7; d++)
                        {
                            if (DayMatches(d))
                            {
                                days.Add(d);
                            }
                        }

                        break;
                    }

                case RecurrenceFrequency.Daily:
                    {
                        var d = startDay + (k * interval);
                        periodStart = d * 86400;
                        if (periodStart > untilKey || periodStart > winEnd || d > MaxDay)
                        {
                            return RecurrenceStop.Completed;
                        }

                        days.Clear();
                        if (DayMatches((int)d))
                        {
                            days.Add((int)d);
                        }

                        break;
                    }

                default:
                    {
                        var step = unit * interval;
                        periodStart = subDailyAnchor + (k * step);
                        if (periodStart > untilKey || periodStart > winEnd || periodStart / 86400 > MaxDay)
                        {
                            return RecurrenceStop.Completed;
                        }

                        var day = (int)(periodStart / 86400);
                        var sod = (int)(periodStart % 86400);
                        if (!DayMatches(day))
                        {
                            // Skip the rest of a day that cannot match instead of stepping through its hours or seconds.
                            k = CeilDiv(((day + 1L) * 86400) - subDailyAnchor, step);
                            continue;
                        }

                        var h = sod / 3600;
                        if (hasHour && !hourMask[h])
                        {
                            k = CeilDiv(periodStart - (sod % 3600) + 3600 - subDailyAnchor, step);
                            continue;
                        }

                        var mi = (sod / 60) % 60;
                        if (freq == RecurrenceFrequency.Hourly)
                        {
                            foreach (var m in minutes)
                            {
                                foreach (var s in seconds)
                                {
                                    candidates.Add(((long)day * 86400) + (h * 3600) + (m * 60) + s);
                                }
                            }
                        }
                        else if (hasMinute && !minuteMask[mi])
                        {
                            k = CeilDiv(periodStart - (sod % 60) + 60 - subDailyAnchor, step);
                            continue;
                        }
                        else if (freq == RecurrenceFrequency.Minutely)
                        {
                            foreach (var s in seconds)
                            {
                                candidates.Add(((long)day * 86400) + (h * 3600) + (mi * 60) + s);
                            }
                        }
                        else if (!hasSecond || secondMask[sod % 60])
                        {
                            candidates.Add(periodStart);
                        }

                        days.Clear();
                        break;
                    }
            }

            if (freq >= RecurrenceFrequency.Daily)
            {
                foreach (var d in days)
                {
                    var dayKey = (long)d * 86400;
                    foreach (var h in hours)
                    {
                        foreach (var m in minutes)
                        {
                            foreach (var s in seconds)
                            {
                                candidates.Add(dayKey + (h * 3600) + (m * 60) + s);
                            }
                        }
                    }
                }
            }

            budget -= candidates.Count;
            var list = candidates;
            if (rule.BySetPos.Length > 0 && candidates.Count > 0)
            {
                selected.Clear();
                foreach (var pos in rule.BySetPos)
                {
                    var index = pos > 0 ? pos - 1 : candidates.Count + pos;
                    if (index >= 0 && index < candidates.Count)
                    {
                        selected.Add(candidates[index]);
                    }
                }

                selected.Sort();
                list = selected;
            }

            var previous = long.MinValue;
            foreach (var key in list)
            {
                if (key == previous)
                {
                    continue;
                }

                previous = key;
                if (key <= startKey)
                {
                    continue;
                }

                if (key > untilKey || key > winEnd)
                {
                    return RecurrenceStop.Completed;
                }

                produced++;
                if (!Emit(key, output, ref emitted))
                {
                    return RecurrenceStop.OccurrenceCap;
                }

                if (produced >= count)
                {
                    return RecurrenceStop.Completed;
                }
            }

            k++;
        }
    }

    private const int MaxDay = 2932896; // 9999-12-31

    private void YearDays(int year)
    {
        days.Clear();
        for (var month = 1; month <= 12; month++)
        {
            if (!hasMonth || monthMask[month])
            {
                MonthDays(year, month);
            }
        }
    }

    private void MonthDays(int year, int month)
    {
        var first = DaysFromCivil(year, month, 1);
        var dim = IcalDateTime.DaysInMonth(year, month);
        for (var d = first; d < first + dim; d++)
        {
            if (DayMatches(d))
            {
                days.Add(d);
            }
        }
    }

    private bool DayMatches(int day)
    {
        if (!hasMonth && !hasMonthDay && !hasYearDay && !hasWeekNo && !hasDay)
        {
            return true;
        }

        var (y, m, dom) = CivilFromDays(day);
        if (hasMonth && !monthMask[m])
        {
            return false;
        }

        if (hasMonthDay)
        {
            var dim = IcalDateTime.DaysInMonth(y, m);
            if (!monthDayPos[dom] && !monthDayNeg[dim - dom + 1])
            {
                return false;
            }
        }

        var jan1 = 0;
        var diy = 0;
        if (hasYearDay || hasWeekNo || (hasOrdinalDay && !ordinalsInMonth))
        {
            jan1 = DaysFromCivil(y, 1, 1);
            diy = DaysFromCivil(y + 1, 1, 1) - jan1;
        }

        if (hasYearDay)
        {
            var yday = day - jan1 + 1;
            if (!yearDayPos[yday] && !yearDayNeg[diy - yday + 1])
            {
                return false;
            }
        }

        if (hasWeekNo && !WeekNoMatches(day, y))
        {
            return false;
        }

        if (hasDay)
        {
            var wd = Weekday(day);
            if (plainDays[wd])
            {
                return true;
            }

            if (!hasOrdinalDay)
            {
                return false;
            }

            int nth, nthFromEnd;
            if (ordinalsInMonth)
            {
                var dim = IcalDateTime.DaysInMonth(y, m);
                nth = ((dom - 1) / 7) + 1;
                nthFromEnd = ((dim - dom) / 7) + 1;
            }
            else
            {
                var yday = day - jan1 + 1;
                nth = ((yday - 1) / 7) + 1;
                nthFromEnd = ((diy - yday) / 7) + 1;
            }

            return ordinalPos[wd, nth] || ordinalNeg[wd, nthFromEnd];
        }

        return true;
    }

    /// <summary>Week numbers per RFC 5545 §3.3.10: week 1 is the first week (starting on WKST) with at least four days of the year.</summary>
    private bool WeekNoMatches(int day, int year)
    {
        var w1 = Week1Start(year);
        var w1Next = Week1Start(year + 1);
        int week, total;
        if (day < w1)
        {
            var w1Prev = Week1Start(year - 1);
            week = ((day - w1Prev) / 7) + 1;
            total = (w1 - w1Prev) / 7;
        }
        else if (day >= w1Next)
        {
            week = 1;
            total = (Week1Start(year + 2) - w1Next) / 7;
        }
        else
        {
            week = ((day - w1) / 7) + 1;
            total = (w1Next - w1) / 7;
        }

        return weekNoPos[week] || weekNoNeg[total - week + 1];
    }

    private int Week1Start(int year)
    {
        var jan1 = DaysFromCivil(year, 1, 1);
        var offset = Mod(Weekday(jan1) - weekStart, 7);
        var start = jan1 - offset;
        return 7 - offset >= 4 ? start : start + 7;
    }

    private static long PeriodsBetween(RecurrenceFrequency freq, long fromKey, long toKey)
    {
        var fromDay = (int)(fromKey / 86400);
        var toDay = (int)(toKey / 86400);
        switch (freq)
        {
            case RecurrenceFrequency.Yearly:
                return CivilFromDays(toDay).Year - CivilFromDays(fromDay).Year;
            case RecurrenceFrequency.Monthly:
                {
                    var a = CivilFromDays(fromDay);
                    var b = CivilFromDays(toDay);
                    return ((b.Year - a.Year) * 12L) + (b.Month - a.Month);
                }

            case RecurrenceFrequency.Weekly:
                return (toDay - fromDay) / 7;
            case RecurrenceFrequency.Daily:
                return toDay - fromDay;
            case RecurrenceFrequency.Hourly:
                return (toKey - fromKey) / 3600;
            case RecurrenceFrequency.Minutely:
                return (toKey - fromKey) / 60;
            default:
                return toKey - fromKey;
        }
    }

    private static bool Mark(int[] values, bool[] pos, bool[]? neg)
    {
        foreach (var v in values)
        {
            if (v >= 0)
            {
                pos[v] = true;
            }
            else if (neg is not null)
            {
                neg[-v] = true;
            }
        }

        return values.Length > 0;
    }

    private static long CeilDiv(long a, long b) => a <= 0 ? 0 : (a + b - 1) / b;

    private static int Mod(int a, int b) => ((a % b) + b) % b;

    internal static long Key(LocalDateTime t) =>
        ((long)DaysFromCivil(t.Year, t.Month, t.Day) * 86400) + (t.Hour * 3600) + (t.Minute * 60) + t.Second;

    internal static LocalDateTime FromKey(long key)
    {
        var day = (int)(key >= 0 ? key / 86400 : ((key + 1) / 86400) - 1);
        var sod = (int)(key - ((long)day * 86400));
        var (y, m, d) = CivilFromDays(day);
        return new LocalDateTime(y, m, d, sod / 3600, (sod / 60) % 60, sod % 60);
    }

    /// <summary>Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).</summary>
    internal static int Weekday(int day) => Mod(day + 3, 7);

    /// <summary>Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's civil-date algorithm).</summary>
    internal static int DaysFromCivil(int y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - (era * 400);
        var doy = ((153 * (m + (m > 2 ? -3 : 9))) + 2) / 5 + d - 1;
        var doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
        return (era * 146097) + doe - 719468;
    }

    internal static (int Year, int Month, int Day) CivilFromDays(int z)
    {
        z += 719468;
        var era = (z >= 0 ? z : z - 146096) / 146097;
        var doe = z - (era * 146097);
        var yoe = (doe - (doe / 1460) + (doe / 36524) - (doe / 146096)) / 365;
        var y = yoe + (era * 400);
        var doy = doe - ((365 * yoe) + (yoe / 4) - (yoe / 100));
        var mp = ((5 * doy) + 2) / 153;
        var d = doy - (((153 * mp) + 2) / 5) + 1;
        var m = mp < 10 ? mp + 3 : mp - 9;
        return (m <= 2 ? y + 1 : y, m, d);
    }
}
