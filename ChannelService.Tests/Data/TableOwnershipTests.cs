using System.Text.RegularExpressions;
using ChannelService.Data;
using Dapper;

namespace ChannelService.Tests.Data;

/// <summary>
/// One owner per table (style.md §19): a table's SQL lives in its store class and nowhere else, so a second SQL
/// dialect, a new column or a purge has one place to change. A source scan of ChannelService/**/*.cs keeps the rule.
/// </summary>
public sealed partial class TableOwnershipTests
{
    /// <summary>Every table of the schema and the file(s) allowed to name it in SQL.</summary>
    private static readonly Dictionary<string, string[]> Owners = new(StringComparer.Ordinal)
    {
        ["schema_migrations"] = ["Data/Migrations.cs"],
        ["store_info"] = ["Data/Database.cs"],
        ["accounts"] = ["Accounts/AccountRegistry.cs"],
        ["source_items"] = ["Sources/SourceItemStore.cs"],
        ["source_cursors"] = ["Sources/SourceItemStore.cs"],
        ["source_writes"] = ["Sources/SourceItemStore.cs"],
        ["service_instances"] = ["Data/InstanceRegistry.cs"],
        ["pull_accounts"] = ["Pull/PullMirrorStore.cs"],
        ["pull_mirror"] = ["Pull/PullMirrorStore.cs"],
        ["caldav_etag_snapshots"] = ["Sources/CalDav/SqliteCalDavEtagStore.cs"],
        ["push_credentials"] = ["Zendesk/PushCredentialsStore.cs"],
        ["inbox_accounts"] = ["Inbox/InboxAccountStore.cs"],
        ["outbox"] = ["Zendesk/Outbox.cs"],
        ["service_errors"] = ["Zendesk/ServiceErrors.cs"],
        ["event_log"] = ["Events/EventLog.cs"],
        ["ticket_links"] = ["Events/TicketLinkStore.cs"],
        ["channelback_requests"] = ["Channelback/ChannelbackRequestStore.cs"],
        ["zendesk_api_work"] = ["ZendeskLink/Work/ApiWorkStore.cs"],
        ["zendesk_ticket_properties"] = ["ZendeskLink/Tickets/TicketPropertyStore.cs"],
        ["zendesk_links"] = ["ZendeskLink/ZendeskLinkStore.cs"],
        ["zendesk_oauth_pending"] = ["ZendeskLink/OAuth/PendingAuthorizations.cs"],
        ["change_feed_links"] = ["ZendeskLink/Changes/ChangeFeedStore.cs"],
        ["change_feed_deliveries"] = ["ZendeskLink/Changes/ChangeFeedStore.cs"],
        ["change_feed_nudges"] = ["ZendeskLink/Changes/ChangeFeedStore.cs"],
        ["change_feed_tickets"] = ["ZendeskLink/Changes/ChangeFeedStore.cs"],
        ["change_feed_dispatch"] = ["ZendeskLink/Changes/ChangeFeedStore.cs"],
        ["change_feed_own_writes"] = ["ZendeskLink/Changes/ChangeFeedStore.cs"],
        ["task_status_sync"] = ["ZendeskLink/Status/StatusSyncStore.cs"],
        ["agent_calendar_tokens"] = ["AgentCalendars/AgentCalendarStore.cs"],
        ["agent_calendar_tasks"] = ["AgentCalendars/AgentCalendarStore.cs"],
        ["agent_calendar_syncs"] = ["AgentCalendars/AgentCalendarStore.cs"],
        ["agent_caldav_targets"] = ["AgentCalendars/AgentCalDavStore.cs"],
        ["agent_caldav_events"] = ["AgentCalendars/AgentCalDavStore.cs"],
    };

    private static string ServiceFolder => Path.Combine(TestPaths.RepositoryRoot, "ChannelService");

    /// <summary>
    /// <c>db copy</c> moves every table whatever it is (Data/DatabaseCopy.cs): it names no table, it reads the list from
    /// the SQLite schema, so it is the one file outside the owners that builds SQL from a table name.
    /// </summary>
    private const string WholeSchemaCopy = "Data/DatabaseCopy.cs";

    private static IEnumerable<(string File, string Text)> ServiceSources() =>
        Directory.EnumerateFiles(ServiceFolder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (Path.GetRelativePath(ServiceFolder, f).Replace('\\', '/'), File.ReadAllText(f)))
            .Where(s => s.Item1 != WholeSchemaCopy);

    [Test]
    public async Task Every_Table_Of_The_Schema_Has_An_Owner()
    {
        // Arrange
        var folder = Directory.CreateTempSubdirectory("channelservice-owners-").FullName;
        try
        {
            var database = new Database(Path.Combine(folder, Database.FileName));
            await database.InitializeAsync();

            // Act
            await using var connection = await database.OpenAsync();
            var tables = (await connection.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).ToList();

            // Assert
            Assert.That(tables, Is.EquivalentTo(Owners.Keys), "a new table needs an owner here (and a store class)");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void Each_Table_Is_Named_In_Sql_Only_By_Its_Owner()
    {
        // Act
        var strays = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, text) in ServiceSources())
        {
            foreach (Match m in SqlTableReference().Matches(text))
            {
                var table = m.Groups["table"].Value;
                if (!Owners.TryGetValue(table, out var owners))
                {
                    continue;
                }

                seen.Add(table);
                if (!owners.Contains(file))
                {
                    strays.Add($"{file}: {m.Value}");
                }
            }
        }

        // Assert
        Assert.That(strays, Is.Empty, "SQL naming a table outside its owner's file");
        Assert.That(seen, Is.EquivalentTo(Owners.Keys), "the scan sees every table's SQL (or the pattern stopped matching)");
    }

    [Test]
    public void No_Sql_Takes_Its_Table_Name_From_A_Variable()
    {
        // A table name built at run time would hide from the scan above (and from a reader).
        var built = ServiceSources()
            .SelectMany(s => InterpolatedTable().Matches(s.Text).Select(m => $"{s.File}: {m.Value}"))
            .ToList();

        Assert.That(built, Is.Empty);
    }

    [GeneratedRegex(@"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+(?<table>[a-z_]+)\b")]
    private static partial Regex SqlTableReference();

    [GeneratedRegex(@"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+\{")]
    private static partial Regex InterpolatedTable();
}
