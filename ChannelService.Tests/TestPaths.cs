namespace ChannelService.Tests;

/// <summary>Where the repository and the shared folder beside it (<c>../shared</c>) are.</summary>
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

    /// <summary><c>../shared</c> beside the repository: corpus, schemas, specs.</summary>
    public static string Shared
    {
        get
        {
            var shared = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared"));
            if (!Directory.Exists(shared))
            {
                throw new InvalidOperationException($"The shared folder is missing: expected {shared} beside the repository.");
            }

            return shared;
        }
    }

    public static string IcsCorpus => Path.Combine(Shared, "corpus", "ics");

    public static string ZendeskSchemas => Path.Combine(Shared, "zendesk-schemas");

    /// <summary>Fixtures committed under ChannelService.Tests/Fixtures (copied to the output folder).</summary>
    public static string Fixture(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);
}
