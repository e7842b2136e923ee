using System.Globalization;
using System.Text;
using ChannelService.Calendars;

namespace ChannelService.Cli.Benchmarks;

/// <summary>
/// Deterministic benchmark feed (calendar.md section 5): per unit 15,000 VEVENT and 5,000 VTODO (about 17 MB),
/// CRLF, one VTIMEZONE (Europe/Berlin), folded long DESCRIPTIONs with multi-byte text, quoted CNs with commas,
/// TEXT escapes, zoned/UTC/DATE times, X- properties and about 5% recurring events with RRULE and EXDATE.
/// The same seed and unit count always give the same bytes (own PRNG, invariant formatting).
/// </summary>
internal static class FeedGenerator
{
    public const int EventsPerUnit = 15_000;
    public const int TodosPerUnit = 5_000;

    private static readonly string[] Words =
    [
        "planning", "review", "budget", "Größe", "Überprüfung", "café", "naïve", "会議", "資料", "release", "sprint",
        "customer", "Zürich", "façade", "roadmap", "🚀", "incident", "Ærø", "deploy", "retro", "Ελλάδα", "agenda",
    ];

    private static readonly string[] People = ["Doe, Jane", "Müller, Hans", "O'Brien, Siobhán", "Smith, Bob", "Nguyễn, An", "Lee, Kim"];

    public static void Write(Stream output, int units, ulong seed = 42)
    {
        var rng = new SplitMix64(seed);
        WriteLine(output, "BEGIN:VCALENDAR");
        WriteLine(output, "VERSION:2.0");
        WriteLine(output, "PRODID:-//ChannelService//Benchmark feed generator//EN");
        WriteLine(output, "CALSCALE:GREGORIAN");
        WriteLine(output, "X-WR-CALNAME:Benchmark\\, generated");
        foreach (var l in BerlinTimeZone)
        {
            WriteLine(output, l);
        }

        var sb = new StringBuilder(2048);
        for (var u = 0; u < units; u++)
        {
            for (var i = 0; i < EventsPerUnit + TodosPerUnit; i++)
            {
                // Interleave: every fourth component is a task.
                var todo = i % 4 == 3;
                var n = (u * (EventsPerUnit + TodosPerUnit)) + i;
                if (todo)
                {
                    Todo(output, rng, n, sb);
                }
                else
                {
                    Event(output, rng, n, sb);
                }
            }
        }

        WriteLine(output, "END:VCALENDAR");
    }

    private static void Event(Stream o, SplitMix64 rng, int n, StringBuilder sb)
    {
        WriteLine(o, "BEGIN:VEVENT");
        WriteLine(o, $"UID:evt-{n}-{rng.Next(1_000_000):D6}@bench.example.org");
        WriteLine(o, "DTSTAMP:20250101T120000Z");
        var day = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Unspecified).AddDays(rng.Next(900)).AddMinutes(rng.Next(96) * 15);
        var kind = rng.Next(10);
        if (kind < 7)
        {
            WriteLine(o, $"DTSTART;TZID=Europe/Berlin:{Local(day)}");
            WriteLine(o, $"DTEND;TZID=Europe/Berlin:{Local(day.AddMinutes(30 + (rng.Next(8) * 15)))}");
        }
        else if (kind < 9)
        {
            WriteLine(o, $"DTSTART:{Local(day)}Z");
            WriteLine(o, $"DURATION:PT{1 + rng.Next(3)}H{rng.Next(4) * 15}M");
        }
        else
        {
            WriteLine(o, $"DTSTART;VALUE=DATE:{day.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}");
            WriteLine(o, $"DTEND;VALUE=DATE:{day.AddDays(1).ToString("yyyyMMdd", CultureInfo.InvariantCulture)}");
        }

        WriteLine(o, $"SUMMARY:{Sentence(rng, 3 + rng.Next(5), sb)} #{n}\\, part {rng.Next(9)}\\; final");
        WriteLine(o, $"DESCRIPTION:{Paragraph(rng, sb)}");
        WriteLine(o, $"LOCATION:Building {rng.Next(40)}\\, Floor {rng.Next(12)}\\, Room {rng.Next(300)}");
        var organizer = People[rng.Next(People.Length)];
        WriteLine(o, $"ORGANIZER;CN=\"{organizer}\":mailto:{Mail(organizer)}");
        var attendees = 1 + rng.Next(2);
        for (var a = 0; a < attendees; a++)
        {
            var who = People[rng.Next(People.Length)];
            WriteLine(o, $"ATTENDEE;CN=\"{who}\";ROLE=REQ-PARTICIPANT;PARTSTAT={(rng.Next(2) == 0 ? "ACCEPTED" : "NEEDS-ACTION")};RSVP=TRUE:mailto:{Mail(who)}");
        }

        WriteLine(o, "CATEGORIES:Work,Project\\, Alpha,Team");
        WriteLine(o, "STATUS:CONFIRMED");
        WriteLine(o, $"SEQUENCE:{rng.Next(4)}");
        WriteLine(o, "X-MICROSOFT-CDO-BUSYSTATUS:BUSY");
        WriteLine(o, $"X-BENCH-NOTE;X-SOURCE=\"gen:v1;seed\":note {rng.Next(100_000)}");
        if (rng.Next(20) == 0 && kind < 7)
        {
            WriteLine(o, "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=20");
            WriteLine(o, $"EXDATE;TZID=Europe/Berlin:{Local(day.AddDays(7))},{Local(day.AddDays(14))}");
        }

        WriteLine(o, "END:VEVENT");
    }

    private static void Todo(Stream o, SplitMix64 rng, int n, StringBuilder sb)
    {
        WriteLine(o, "BEGIN:VTODO");
        WriteLine(o, $"UID:todo-{n}-{rng.Next(1_000_000):D6}@bench.example.org");
        WriteLine(o, "DTSTAMP:20250101T120000Z");
        var day = new DateTime(2024, 1, 1, 9, 0, 0, DateTimeKind.Unspecified).AddDays(rng.Next(900)).AddHours(rng.Next(10));
        WriteLine(o, $"DTSTART;TZID=Europe/Berlin:{Local(day)}");
        if (rng.Next(4) == 0)
        {
            WriteLine(o, $"DUE;VALUE=DATE:{day.AddDays(3).ToString("yyyyMMdd", CultureInfo.InvariantCulture)}");
        }
        else
        {
            WriteLine(o, $"DUE;TZID=Europe/Berlin:{Local(day.AddDays(2))}");
        }

        WriteLine(o, $"SUMMARY:Task: {Sentence(rng, 3 + rng.Next(4), sb)}\\, #{n}");
        WriteLine(o, $"DESCRIPTION:{Paragraph(rng, sb)}");
        WriteLine(o, $"PRIORITY:{rng.Next(10)}");
        WriteLine(o, $"PERCENT-COMPLETE:{rng.Next(11) * 10}");
        WriteLine(o, "STATUS:NEEDS-ACTION");
        var who = People[rng.Next(People.Length)];
        WriteLine(o, $"ORGANIZER;CN=\"{who}\":mailto:{Mail(who)}");
        WriteLine(o, $"X-BENCH-NOTE:task {rng.Next(100_000)}");
        WriteLine(o, "END:VTODO");
    }

    private static string Sentence(SplitMix64 rng, int words, StringBuilder sb)
    {
        sb.Clear();
        for (var i = 0; i < words; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }

            sb.Append(Words[rng.Next(Words.Length)]);
        }

        return sb.ToString();
    }

    private static string Paragraph(SplitMix64 rng, StringBuilder sb)
    {
        sb.Clear();
        var words = 20 + rng.Next(30);
        for (var i = 0; i < words; i++)
        {
            if (i > 0)
            {
                sb.Append(i % 13 == 0 ? "\\n" : i % 7 == 0 ? "\\, " : " ");
            }

            sb.Append(Words[rng.Next(Words.Length)]);
        }

        sb.Append("\\; see C:\\\\notes");
        return sb.ToString();
    }

    private static string Mail(string person)
    {
        var sb = new StringBuilder();
        foreach (var c in person)
        {
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z')
            {
                sb.Append(char.ToLowerInvariant(c));
            }
        }

        return sb.Append("@example.org").ToString();
    }

    private static string Local(DateTime t) => t.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);

    private static void WriteLine(Stream o, string line) => IcalWriter.WriteFolded(o, line);

    private static readonly string[] BerlinTimeZone =
    [
        "BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "X-LIC-LOCATION:Europe/Berlin",
        "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
        "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD", "END:VTIMEZONE",
    ];

    /// <summary>SplitMix64: tiny, fast and fixed forever, unlike System.Random's unspecified algorithm.</summary>
    private sealed class SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public int Next(int maxExclusive)
        {
            _state += 0x9E3779B97F4A7C15UL;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z % (ulong)maxExclusive);
        }
    }
}
