using System.Globalization;
using System.Text;
using ChannelService.Calendars;

namespace ChannelService.Sources;

/// <summary>The items of one parsed calendar text, keyed and de-duplicated, plus what was wrong with it.</summary>
internal sealed record SourceListing(IReadOnlyList<ListedItem> Items, IReadOnlyList<string> Warnings, int Events, int Tasks, int OpenTasks);

/// <summary>
/// One listed item before its raw text is written: diffing needs only the key and version, and writing the
/// self-contained VCALENDAR for every unchanged item of a large feed would cost more than the parse.
/// </summary>
internal sealed class ListedItem(string key, CalendarItem item, CalendarComponent? calendar, IReadOnlyDictionary<string, CalendarComponent> vtimezones)
{
    public string Key { get; } = key;

    public CalendarItem Item { get; } = item;

    public string? Uid => Item.Uid;

    /// <summary>The item's content version with the VTIMEZONEs it refers to (<see cref="Calendars.ContentVersion.WithZones"/>), computed on first use.</summary>
    public string ContentVersion => contentVersion ??= Calendars.ContentVersion.WithZones(Item.ContentVersion, SourceListingBuilder.ReferencedVTimezones(Item.Component, vtimezones));

    private string? contentVersion;

    /// <summary>The item without its stored text and content version, for planning (see <see cref="FirstReadItem"/>).</summary>
    public SourceItem ToPlanningItem() => new()
    {
        Key = Key,
        Kind = Item.Kind,
        Uid = Item.Uid,
        RecurrenceId = SourceItemKeys.RecurrenceIdText(Item),
        ContentVersion = string.Empty,
        RawIcs = string.Empty,
        WebUrl = SourceListingBuilder.HttpUrl(Item.Url),
        Parsed = new ParsedSourceItem(Item, calendar?.GetProperty("X-WR-TIMEZONE")?.RawValue, vtimezones),
    };

    public SourceItem ToSourceItem() => new()
    {
        Key = Key,
        Kind = Item.Kind,
        Uid = Item.Uid,
        RecurrenceId = SourceItemKeys.RecurrenceIdText(Item),
        ContentVersion = ContentVersion,
        WriteRawIcs = () => SourceListingBuilder.RawCalendarText(Item.Component, calendar, vtimezones),
        WebUrl = SourceListingBuilder.HttpUrl(Item.Url),
        Parsed = new ParsedSourceItem(Item, calendar?.GetProperty("X-WR-TIMEZONE")?.RawValue, vtimezones),
    };
}

/// <summary>
/// Turns parsed iCalendar roots into <see cref="SourceItem"/>s: one per (UID, RECURRENCE-ID), events and tasks
/// only (journals have no ticket meaning here), each with a self-contained raw VCALENDAR text.
/// </summary>
internal static class SourceListingBuilder
{
    private const int MaxWarningsListed = 10;

    /// <param name="parse">The reader's result.</param>
    /// <param name="sourceUrl">Normalised source URL, part of synthetic keys.</param>
    public static SourceListing Build(IcalParseResult parse, string sourceUrl)
    {
        var warnings = new List<string>();
        var vtimezones = new Dictionary<string, CalendarComponent>(StringComparer.Ordinal);
        var candidates = new List<(CalendarItem Item, CalendarComponent? Calendar)>();
        var cut = 0;
        foreach (var root in parse.Roots)
        {
            var bare = CalendarItemReader.KindOf(root.Name) is not null;
            foreach (var component in bare ? [root] : root.Components)
            {
                if (component.Name == "VTIMEZONE")
                {
                    if (component.GetProperty("TZID")?.RawValue.Trim() is { Length: > 0 } tzid)
                    {
                        vtimezones.TryAdd(tzid, component);
                    }

                    continue;
                }

                if (CalendarItemReader.KindOf(component.Name) is not (CalendarItemKind.Event or CalendarItemKind.Task))
                {
                    continue;
                }

                // A component whose END never came, in a calendar whose END never came either, is where the
                // download stopped: its content is partial, and reporting it would announce a change that is
                // only the cut. An unclosed component followed by END:VCALENDAR was just badly written: kept.
                if (component.EndMissing && (bare || root.EndMissing))
                {
                    cut++;
                    continue;
                }

                candidates.Add((CalendarItemReader.Read(component), bare ? null : root));
            }
        }

        if (cut > 0)
        {
            warnings.Add(cut == 1
                ? "The last item was cut off in the middle and was skipped."
                : $"{cut} items were cut off in the middle and were skipped.");
        }

        var byKey = new Dictionary<string, List<(CalendarItem Item, CalendarComponent? Calendar)>>(StringComparer.Ordinal);
        var order = new List<string>();
        var duplicateWarnings = new List<string>();

        void Add(string key, (CalendarItem, CalendarComponent?) entry)
        {
            if (!byKey.TryGetValue(key, out var list))
            {
                byKey[key] = list = [];
                order.Add(key);
            }

            list.Add(entry);
        }

        // UID-less items: grouped by their base synthetic key; distinct contents get ordinals in content-version
        // order (independent of where they sit in the file), identical repeats fall together.
        var synthetic = new Dictionary<string, List<(CalendarItem Item, CalendarComponent? Calendar)>>(StringComparer.Ordinal);
        foreach (var entry in candidates)
        {
            if (entry.Item.Uid is { } uid)
            {
                Add(SourceItemKeys.For(uid, SourceItemKeys.RecurrenceIdText(entry.Item)), entry);
            }
            else
            {
                var baseKey = SourceItemKeys.Synthetic(entry.Item, sourceUrl);
                if (!synthetic.TryGetValue(baseKey, out var group))
                {
                    synthetic[baseKey] = group = [];
                }

                group.Add(entry);
            }
        }

        foreach (var group in synthetic.Values)
        {
            var distinct = group.GroupBy(e => e.Item.ContentVersion, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => g.First())
                .ToList();
            for (var i = 0; i < distinct.Count; i++)
            {
                Add(SourceItemKeys.Synthetic(distinct[i].Item, sourceUrl, i), distinct[i]);
            }
        }

        var items = new List<ListedItem>(order.Count);
        int events = 0, tasks = 0, open = 0;
        foreach (var key in order)
        {
            var entries = byKey[key];
            var (item, calendar) = entries.Count == 1 ? entries[0] : PickOne(entries, duplicateWarnings);
            items.Add(new ListedItem(key, item, calendar, vtimezones));
            if (item.Kind == CalendarItemKind.Event)
            {
                events++;
            }
            else
            {
                tasks++;
                open += item.IsClosedTask ? 0 : 1;
            }
        }

        if (duplicateWarnings.Count > 0)
        {
            warnings.Add($"{duplicateWarnings.Count} UIDs appear more than once; one copy of each was kept: "
                + string.Join("; ", duplicateWarnings.Take(MaxWarningsListed))
                + (duplicateWarnings.Count > MaxWarningsListed ? "; ..." : "."));
        }

        if (parse.DiagnosticCount > 0)
        {
            var first = parse.Diagnostics.Count > 0 ? $" (first: {parse.Diagnostics[0]})" : string.Empty;
            warnings.Add($"{parse.DiagnosticCount} problems were found while reading the calendar and worked around{first}.");
        }

        return new SourceListing(items, warnings, events, tasks, open);
    }

    /// <summary>
    /// The items a first sync can hand out before the whole listing is built, in document order: complete events
    /// and tasks whose UID occurs once in the file and that carry no RECURRENCE-ID. Everything that needs the whole
    /// file to be keyed (duplicate UIDs, overrides and their series, items without UID) is left to
    /// <see cref="Build"/>. Only the items enumerated are read, so taking the first few hundred of a 20,000-item
    /// feed costs a scan for UIDs, not a read of every item.
    /// </summary>
    public static IEnumerable<ListedItem> UnambiguousInDocumentOrder(IcalParseResult parse)
    {
        var vtimezones = new Dictionary<string, CalendarComponent>(StringComparer.Ordinal);
        var uidCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (component, _, _) in Components(parse))
        {
            if (component.Name == "VTIMEZONE")
            {
                if (component.GetProperty("TZID")?.RawValue.Trim() is { Length: > 0 } tzid)
                {
                    vtimezones.TryAdd(tzid, component);
                }
            }
            else if (component.GetProperty("UID")?.RawValue.Trim() is { Length: > 0 } uid)
            {
                uidCounts[uid] = uidCounts.GetValueOrDefault(uid) + 1;
            }
        }

        foreach (var (component, root, bare) in Components(parse))
        {
            if (UnambiguousItem(component, component.EndMissing && (bare || root.EndMissing), uid => uidCounts.GetValueOrDefault(uid)) is { } item)
            {
                yield return new ListedItem(SourceItemKeys.For(item.Uid!, null), item, bare ? null : root, vtimezones);
            }
        }
    }

    /// <summary>
    /// The item of an event or task that is keyed by its UID alone: read whole (not <paramref name="cut"/>), no
    /// RECURRENCE-ID, exactly one UID property, and that UID counted once in the whole file by <paramref name="countOf"/>.
    /// Null for anything the full listing must key.
    /// </summary>
    internal static CalendarItem? UnambiguousItem(CalendarComponent component, bool cut, Func<string, int> countOf)
    {
        if (CalendarItemReader.KindOf(component.Name) is not (CalendarItemKind.Event or CalendarItemKind.Task)
            || cut
            || component.GetProperty("RECURRENCE-ID") is not null
            || component.GetProperties("UID").Take(2).Count() != 1)
        {
            return null;
        }

        var item = CalendarItemReader.Read(component);
        return item.Uid is { } uid && countOf(uid) == 1 ? item : null;
    }

    private static IEnumerable<(CalendarComponent Component, CalendarComponent Root, bool Bare)> Components(IcalParseResult parse)
    {
        foreach (var root in parse.Roots)
        {
            if (CalendarItemReader.KindOf(root.Name) is not null)
            {
                yield return (root, root, true);
                continue;
            }

            foreach (var component in root.Components)
            {
                yield return (component, root, false);
            }
        }
    }

    /// <summary>Writes the self-contained VCALENDAR text of <see cref="SourceItem.RawIcs"/>.</summary>
    public static string RawCalendarText(CalendarComponent component, CalendarComponent? calendar, IReadOnlyDictionary<string, CalendarComponent> vtimezones)
    {
        using var output = new MemoryStream();
        var options = IcalWriterOptions.Default;
        IcalWriter.WriteFolded(output, "BEGIN:VCALENDAR");
        var wrote = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in calendar?.Properties ?? [])
        {
            // What changes how the item reads: version and producer (quirk detection), the calendar's zone for
            // floating times and its scale. Names and descriptions of the whole calendar do not belong to an item.
            if (p.Name is "VERSION" or "PRODID" or "CALSCALE" or "X-WR-TIMEZONE" && wrote.Add(p.Name))
            {
                WriteProperty(output, p);
            }
        }

        if (!wrote.Contains("VERSION"))
        {
            IcalWriter.WriteFolded(output, "VERSION:2.0");
        }

        if (!wrote.Contains("PRODID"))
        {
            IcalWriter.WriteFolded(output, "PRODID:-//ChannelService//source item//EN");
        }

        foreach (var vtz in ReferencedVTimezones(component, vtimezones))
        {
            IcalWriter.WriteComponent(output, vtz, options);
        }

        IcalWriter.WriteComponent(output, component, options);
        IcalWriter.WriteFolded(output, "END:VCALENDAR");
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static void WriteProperty(MemoryStream output, CalendarProperty p)
    {
        if (p.RawLine is { } raw)
        {
            output.Write(Encoding.UTF8.GetBytes(raw.EndsWith("\r\n", StringComparison.Ordinal) ? raw : raw + "\r\n"));
        }
        else
        {
            IcalWriter.WriteFolded(output, IcalWriter.FormatProperty(p));
        }
    }

    /// <summary>The VTIMEZONEs of <paramref name="vtimezones"/> the component's values refer to, by TZID: those its stored text carries.</summary>
    internal static List<CalendarComponent> ReferencedVTimezones(CalendarComponent component, IReadOnlyDictionary<string, CalendarComponent> vtimezones)
    {
        var result = new List<CalendarComponent>();
        if (vtimezones.Count == 0)
        {
            return result;
        }

        foreach (var tzid in ReferencedTzids(component))
        {
            if (vtimezones.TryGetValue(tzid, out var vtz))
            {
                result.Add(vtz);
            }
        }

        return result;
    }

    private static SortedSet<string> ReferencedTzids(CalendarComponent component)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        void Walk(CalendarComponent c)
        {
            foreach (var p in c.Properties)
            {
                if (p.GetParameter("TZID")?.Trim() is { Length: > 0 } tzid)
                {
                    set.Add(tzid);
                }
            }

            foreach (var child in c.Components)
            {
                Walk(child);
            }
        }

        Walk(component);
        return set;
    }

    /// <summary>The URL property when it is an absolute http(s) URL; anything else (mailto:, relative, junk) is no page to open.</summary>
    internal static string? HttpUrl(string? url) =>
        url is not null && Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri.AbsoluteUri
            : null;

    /// <summary>
    /// Keeps one of several copies of the same (UID, RECURRENCE-ID), whatever their order in the file: the highest
    /// SEQUENCE (RFC 5545 §3.8.7.4: the organizer's latest revision), then the latest LAST-MODIFIED, then the
    /// greatest content version, which is arbitrary but the same on every download.
    /// </summary>
    private static (CalendarItem Item, CalendarComponent? Calendar) PickOne(List<(CalendarItem Item, CalendarComponent? Calendar)> entries, List<string> warnings)
    {
        var chosen = entries
            .OrderByDescending(e => e.Item.Sequence ?? 0)
            .ThenByDescending(e => e.Item.LastModified?.ToString() ?? string.Empty, StringComparer.Ordinal)
            .ThenByDescending(e => e.Item.ContentVersion, StringComparer.Ordinal)
            .First();
        var distinct = entries.Select(e => e.Item.ContentVersion).Distinct(StringComparer.Ordinal).Count();
        var uid = chosen.Item.Uid ?? string.Empty;
        var shown = uid.Length > 60 ? uid[..60] + "..." : uid;
        var rid = SourceItemKeys.RecurrenceIdText(chosen.Item) is { } r ? " RECURRENCE-ID " + r : string.Empty;
        warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{shown}{rid} ({entries.Count} copies{(distinct == 1 ? ", identical" : string.Empty)}, line {chosen.Item.Component.Line} kept)"));
        return chosen;
    }
}
