namespace ChannelService.Tests;

/// <summary>Where the repository and the test fixtures are. Everything a test reads is in the repository.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ChannelIntegration.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("ChannelIntegration.sln not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root (the folder holding ChannelIntegration.sln).</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary>The 58 real-world .ics files (Fixtures/corpus/ics, sources and licences in its README).</summary>
    public static string IcsCorpus => FixtureFolder("corpus", "ics");

    /// <summary>Zendesk's channel contract schemas (Fixtures/zendesk-schemas, Apache-2.0).</summary>
    public static string ZendeskSchemas => FixtureFolder("zendesk-schemas");

    /// <summary>A fixture file committed under ChannelService.Tests/Fixtures (copied to the output folder).</summary>
    public static string Fixture(params string[] parts)
    {
        var path = Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);
        return File.Exists(path) ? path : throw Missing(path);
    }

    /// <summary>A fixture folder; throws at once, naming it, when the build did not copy it.</summary>
    public static string FixtureFolder(params string[] parts)
    {
        var path = Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);
        return Directory.Exists(path) ? path : throw Missing(path);
    }

    private static FileNotFoundException Missing(string path) =>
        new($"Test fixture missing: {path}. Fixtures live in ChannelService.Tests/Fixtures and are copied to the output folder by the build.", path);
}
