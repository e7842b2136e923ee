using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ChannelService.Calendars;
using ChannelService.Pull;
using ChannelService.Tickets;
using ChannelService.Web;
using NodaTime;

namespace ChannelService.Tests.Pull;

/// <summary>
/// The compiled JSON contracts of the pull (<see cref="PullJsonContext"/>) change no byte: stored snapshots are
/// compared as written, and Zendesk reads the answer. Each is compared with the same options describing the type by
/// reflection, as before the contracts existed, with every property set.
/// </summary>
public sealed class PullJsonContextTests
{
    private static readonly Instant At = Instant.FromUtc(2026, 11, 22, 8, 30);

    private static ItemSnapshot FullSnapshot() => new()
    {
        Kind = CalendarItemKind.Task,
        Summary = "Renew certificate \"prod\" – é 会議 🚀 & 'x' \u0001 \\ /",
        Description = "line 1\nline 2 <b>",
        HtmlDescription = "<p>line 1</p>",
        Location = "Room 4",
        Url = "https://example.org/t/1",
        Start = new SnapshotTime(At, false),
        End = new SnapshotTime(At.Plus(Duration.FromHours(1)), false),
        Due = new SnapshotTime(Instant.FromUtc(2026, 11, 25, 0, 0), true),
        Completed = At.Plus(Duration.FromDays(1)),
        Status = "COMPLETED",
        Priority = 1,
        PercentComplete = 100,
        Organizer = new SnapshotPerson("mailto:jane@example.org", "Doe, Jane", null),
        Attendees = [new SnapshotPerson("mailto:bob@example.org", null, "ACCEPTED")],
        Categories = ["Work", "Project, Alpha"],
        Attachments = ["report.pdf"],
        Comments = [new SnapshotComment("c1", "Looks good", "zd-req-0001"), new SnapshotComment("c2", "Ok", null)],
        Cancelled = true,
        Deleted = true,
        Excluded = true,
    };

    private static JsonSerializerOptions ByReflection(JsonSerializerOptions options) =>
        new(options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    [Test]
    public void A_Snapshot_Is_Written_And_Read_As_By_Reflection()
    {
        var reflection = ByReflection(ItemSnapshot.Json);
        var partly = FullSnapshot() with
        {
            Organizer = new SnapshotPerson("mailto:x@example.org", null, null),
            Attendees = [],
            Comments = [],
            Start = null,
            Priority = null,
            Excluded = false,
            Cancelled = false,
        };
        foreach (var snapshot in new[] { FullSnapshot(), partly, new ItemSnapshot { Kind = CalendarItemKind.Event } })
        {
            var json = snapshot.ToJson();

            Assert.That(json, Is.EqualTo(JsonSerializer.Serialize(snapshot, reflection)));
            Assert.That(ItemSnapshot.FromJson(json).ToJson(), Is.EqualTo(json), "read back and written again");
            Assert.That(JsonSerializer.Deserialize<ItemSnapshot>(json, reflection)!.ToJson(), Is.EqualTo(json));
        }

        Assert.That(ItemSnapshot.Json.GetTypeInfo(typeof(ItemSnapshot)).OriginatingResolver, Is.SameAs(PullJsonContext.Default), "the contract is the compiled one");
    }

    [Test]
    public void A_Pull_Answer_Is_Written_As_By_Reflection()
    {
        var resource = new ExternalResource
        {
            ExternalId = "acc-abc",
            Message = "Renew certificate <b>\"x\"</b> & 'y' é 会議 🚀 \u0001",
            HtmlMessage = "<p>Renew certificate</p>",
            ThreadId = "acc-abc",
            CreatedAt = "2026-11-22T08:30:00Z",
            Author = new ExternalAuthor("calendar:acc", "Team calendar"),
            InternalNote = false,
            AllowChannelback = true,
            Fields = [new ExternalField("subject", JsonValue.Create("Renew certificate")), new ExternalField(360001234567L, JsonValue.Create(42)), new ExternalField("tags", null), new ExternalField("custom", JsonValue.Create("é <tag> 🚀"))],
            DisplayInfo = [new DisplayInfo("https://example.org/schema", new JsonObject { ["due"] = "2026-11-25", ["n"] = 1 })],
            FileUrls = ["https://example.org/files/1"],
        };
        var minimal = resource with { HtmlMessage = null, InternalNote = null, Fields = null, DisplayInfo = null, FileUrls = null };
        var reflection = ByReflection(JsonDefaults.Options);
        foreach (var answer in new[] { new PullResponse([resource, minimal], "state-1"), new PullResponse([], null, MetadataNeedsUpdate: true) })
        {
            var expected = JsonSerializer.Serialize(answer, reflection);
            Assert.That(JsonSerializer.Serialize(answer, JsonDefaults.Options), Is.EqualTo(expected));
            Assert.That(System.Text.Encoding.UTF8.GetString(PullResponseJson.ToUtf8(answer)), Is.EqualTo(expected), "the answer as the controller writes it");
        }

        Assert.That(JsonDefaults.Options.GetTypeInfo(typeof(PullResponse)).OriginatingResolver, Is.SameAs(PullJsonContext.Default), "the contract is the compiled one");
    }
}
