using System.Diagnostics.CodeAnalysis;

namespace ChannelService.Accounts;

/// <summary>What an account reads (design §1). The wire names are what operators type and what metadata stores.</summary>
internal enum SourceKind
{
    CalDavTasks,
    CalDavCalendar,
    Ics,
    Inbox,
}

internal static class SourceKinds
{
    public static IReadOnlyList<string> WireNames { get; } = ["caldav-tasks", "caldav-calendar", "ics", "inbox"];

    public static string ToWire(this SourceKind kind) => kind switch
    {
        SourceKind.CalDavTasks => "caldav-tasks",
        SourceKind.CalDavCalendar => "caldav-calendar",
        SourceKind.Ics => "ics",
        SourceKind.Inbox => "inbox",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown source kind."),
    };

    public static bool TryParse(string? value, [NotNullWhen(true)] out SourceKind? kind)
    {
        kind = value switch
        {
            "caldav-tasks" => SourceKind.CalDavTasks,
            "caldav-calendar" => SourceKind.CalDavCalendar,
            "ics" => SourceKind.Ics,
            "inbox" => SourceKind.Inbox,
            _ => null,
        };
        return kind is not null;
    }
}
