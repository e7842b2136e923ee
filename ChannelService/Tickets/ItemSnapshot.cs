using System.Text.Json;
using System.Text.Json.Serialization;
using ChannelService.Calendars;
using NodaTime;

namespace ChannelService.Tickets;

/// <summary>
/// A point in time as a ticket shows it: an instant, and whether it was an all-day (DATE) value. All-day values are
/// kept as midnight UTC of their date, so the date reads the same in every zone.
/// </summary>
public sealed record SnapshotTime(Instant Instant, bool AllDay)
{
    public static SnapshotTime Of(IcalDateTime value, TimeZoneResolver resolver) =>
        value.IsDate ? new SnapshotTime(value.Date.AtMidnight().InUtc().ToInstant(), true) : new SnapshotTime(resolver.ToInstant(value), false);

    /// <summary>An instant that came from a DATE value resolved in <paramref name="zone"/>, back to its date.</summary>
    public static SnapshotTime OfDate(Instant instant, DateTimeZone zone) => new(instant.InZone(zone).Date.AtMidnight().InUtc().ToInstant(), true);
}

public sealed record SnapshotPerson(string Address, string? Name, string? Status)
{
    public string Display => string.IsNullOrWhiteSpace(Name) ? Address : Name!;
}

/// <summary>A COMMENT on the item. <see cref="ReplyId"/> is set for replies this service wrote (channelback).</summary>
public sealed record SnapshotComment(string Id, string Text, string? ReplyId);

/// <summary>
/// What a ticket shows of one item (task, event or occurrence), with times resolved to instants. The pull
/// stores the snapshot Zendesk acknowledged and describes the next change as the difference between two
/// snapshots (<see cref="ChangeDescriber"/>). Serialised as JSON in the mirror table.
/// </summary>
public sealed record ItemSnapshot
{
    public required CalendarItemKind Kind { get; init; }

    public string? Summary { get; init; }

    public string? Description { get; init; }

    public string? HtmlDescription { get; init; }

    public string? Location { get; init; }

    public string? Url { get; init; }

    public SnapshotTime? Start { get; init; }

    public SnapshotTime? End { get; init; }

    public SnapshotTime? Due { get; init; }

    public Instant? Completed { get; init; }

    public string? Status { get; init; }

    public int? Priority { get; init; }

    public int? PercentComplete { get; init; }

    public SnapshotPerson? Organizer { get; init; }

    public IReadOnlyList<SnapshotPerson> Attendees { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Attachment URIs, or file names (or a placeholder) for inline ones.</summary>
    public IReadOnlyList<string> Attachments { get; init; } = [];

    public IReadOnlyList<SnapshotComment> Comments { get; init; } = [];

    public bool Cancelled { get; init; }

    public bool Deleted { get; init; }

    /// <summary>
    /// With <see cref="Deleted"/>: an occurrence taken out of a series that is still there (EXDATE, a changed rule).
    /// Written only when set, so the snapshots stored before it existed keep their versions.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Excluded { get; init; }

    /// <summary>A task that is done or dropped, as <see cref="CalendarItem.IsClosedTask"/> reads it. Not stored.</summary>
    [JsonIgnore]
    public bool IsClosedTask => Kind == CalendarItemKind.Task && (Status is "COMPLETED" or "CANCELLED" || Completed is not null);

    internal static readonly JsonSerializerOptions Json = Pull.PullJsonContext.With(new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(), new InstantConverter() },
    });

    /// <summary>
    /// The stored form, written by hand with the bytes <see cref="Json"/> would write (camelCase, nulls left out,
    /// <see cref="Excluded"/> only when set, enum names, ISO instants; PullJsonContextTests compares them). Every pull
    /// writes one per ticket it sends, and the serializer's generic contract for this type graph cost a fresh process
    /// hundreds of method compilations on its first pull (benchmarks/first-page.sh).
    /// </summary>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", Kind.ToString());
            WriteString(w, "summary", Summary);
            WriteString(w, "description", Description);
            WriteString(w, "htmlDescription", HtmlDescription);
            WriteString(w, "location", Location);
            WriteString(w, "url", Url);
            WriteTime(w, "start", Start);
            WriteTime(w, "end", End);
            WriteTime(w, "due", Due);
            if (Completed is { } completed)
            {
                w.WriteString("completed", NodaTime.Text.InstantPattern.ExtendedIso.Format(completed));
            }

            WriteString(w, "status", Status);
            if (Priority is { } priority)
            {
                w.WriteNumber("priority", priority);
            }

            if (PercentComplete is { } percent)
            {
                w.WriteNumber("percentComplete", percent);
            }

            if (Organizer is { } organizer)
            {
                w.WritePropertyName("organizer");
                WritePerson(w, organizer);
            }

            WriteList(w, "attendees", Attendees, WritePerson);
            WriteList(w, "categories", Categories, static (w, c) => w.WriteStringValue(c));
            WriteList(w, "attachments", Attachments, static (w, a) => w.WriteStringValue(a));
            WriteList(w, "comments", Comments, static (w, c) =>
            {
                w.WriteStartObject();
                WriteString(w, "id", c.Id);
                WriteString(w, "text", c.Text);
                WriteString(w, "replyId", c.ReplyId);
                w.WriteEndObject();
            });
            w.WriteBoolean("cancelled", Cancelled);
            w.WriteBoolean("deleted", Deleted);
            if (Excluded)
            {
                w.WriteBoolean("excluded", true);
            }

            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);

        static void WriteString(Utf8JsonWriter w, string name, string? value)
        {
            if (value is not null)
            {
                w.WriteString(name, value);
            }
        }

        static void WriteTime(Utf8JsonWriter w, string name, SnapshotTime? time)
        {
            if (time is not null)
            {
                w.WriteStartObject(name);
                w.WriteString("instant", NodaTime.Text.InstantPattern.ExtendedIso.Format(time.Instant));
                w.WriteBoolean("allDay", time.AllDay);
                w.WriteEndObject();
            }
        }

        static void WritePerson(Utf8JsonWriter w, SnapshotPerson? person)
        {
            if (person is null)
            {
                w.WriteNullValue();
                return;
            }

            w.WriteStartObject();
            WriteString(w, "address", person.Address);
            WriteString(w, "name", person.Name);
            WriteString(w, "status", person.Status);
            WriteString(w, "display", person.Display);
            w.WriteEndObject();
        }

        static void WriteList<T>(Utf8JsonWriter w, string name, IReadOnlyList<T>? items, Action<Utf8JsonWriter, T> write)
        {
            if (items is null)
            {
                return;
            }

            w.WriteStartArray(name);
            foreach (var item in items)
            {
                if (item is null)
                {
                    w.WriteNullValue();
                }
                else
                {
                    write(w, item);
                }
            }

            w.WriteEndArray();
        }
    }

    public static ItemSnapshot FromJson(string json) => JsonSerializer.Deserialize<ItemSnapshot>(json, Json)
        ?? throw new JsonException("empty snapshot");

    /// <summary>
    /// Builds the snapshot of an item (or of one occurrence, when <paramref name="occurrence"/> is given: its own
    /// start and end replace the item's).
    /// </summary>
    /// <param name="replyParameter">the X- parameter that marks COMMENTs written by this service.</param>
    /// <param name="showsComment">Which COMMENTs belong on this ticket (all when null).</param>
    public static ItemSnapshot From(CalendarItem item, TimeZoneResolver resolver, Occurrence? occurrence = null, string? replyParameter = null, Func<CalendarComment, bool>? showsComment = null)
    {
        var allDay = occurrence?.OriginalStart.IsDate ?? item.Start?.IsDate ?? false;
        SnapshotTime? Point(Instant instant) => allDay ? SnapshotTime.OfDate(instant, resolver.FloatingZone) : new SnapshotTime(instant, false);
        var start = occurrence is { } os ? Point(os.Start)
            : item.Start is { } s ? SnapshotTime.Of(s, resolver) : null;
        SnapshotTime? end = null;
        if (item.Kind == CalendarItemKind.Event)
        {
            end = occurrence is { } oe ? Point(oe.End)
                : item.EndInstant(resolver) is { } e ? Point(e) : null;
        }

        return new ItemSnapshot
        {
            Kind = item.Kind,
            Summary = Clean(item.Summary),
            // What people wrote: our own reply blocks are already comments on the ticket (ReplyBlocks).
            Description = ReplyBlocks.Strip(item.Description),
            HtmlDescription = Clean(item.HtmlDescription),
            Location = Clean(item.Location),
            Url = Clean(item.Url),
            Start = start,
            End = end,
            Due = item.Due is { } d ? SnapshotTime.Of(d, resolver) : null,
            Completed = item.Completed is { } c ? resolver.ToInstant(c) : null,
            Status = occurrence?.Status ?? item.Status,
            Priority = item.Priority,
            PercentComplete = item.PercentComplete,
            Organizer = item.Organizer is { } o ? new SnapshotPerson(o.Address, o.Name, null) : null,
            Attendees = item.Attendees.Select(a => new SnapshotPerson(a.Address, a.Name, a.ParticipationStatus)).ToList(),
            Categories = item.Categories,
            Attachments = item.Attachments.Select(a => a.Uri ?? a.FileName ?? $"inline attachment ({a.FormatType ?? "binary"})").ToList(),
            Comments = item.Comments.Where(c => showsComment?.Invoke(c) ?? true).Select(c => new SnapshotComment(
                ExternalIds.Hash("comment", c.Text, string.Join(";", c.Parameters.Select(p => p.Name + "=" + p.Value))),
                c.Text,
                replyParameter is null ? null : c.GetParameter(replyParameter))).ToList(),
            Cancelled = occurrence?.IsCancelled ?? item.IsCancelled,
        };
    }

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private sealed class InstantConverter : JsonConverter<Instant>
    {
        public override Instant Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            NodaTime.Text.InstantPattern.ExtendedIso.Parse(reader.GetString()!).GetValueOrThrow();

        public override void Write(Utf8JsonWriter writer, Instant value, JsonSerializerOptions options) =>
            writer.WriteStringValue(NodaTime.Text.InstantPattern.ExtendedIso.Format(value));
    }
}
