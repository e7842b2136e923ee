using ChannelService.Accounts;
using ChannelService.Sources.Http;

namespace ChannelService.Admin;

/// <summary>The source an admin is setting up, as typed; the secret is the one to use (typed, or the saved one).</summary>
internal sealed record ConnectionTarget(SourceKind Kind, string Url, string? Username, string? Secret, AccountOptions Options)
{
    public override string ToString() => $"ConnectionTarget {{ Kind = {Kind.ToWire()} }}";
}

/// <summary>
/// What "Test connection" found: either a plain-words error, or what the account would do right now (how many
/// items, which would become tickets first). Messages are English plain words; the page localizes them.
/// </summary>
internal sealed record ConnectionTestResult
{
    public bool Ok => Error is null;

    public SourceErrorKind? ErrorKind { get; init; }

    /// <summary>Plain-words error for the admin (never a URL or a credential).</summary>
    public string? Error { get; init; }

    public int Events { get; init; }

    public int Tasks { get; init; }

    public int OpenTasks { get; init; }

    /// <summary>How many items would become tickets with the chosen options.</summary>
    public int WouldImport { get; init; }

    /// <summary>Titles of up to <see cref="ConnectionTester.PreviewCount"/> items that would become tickets first.</summary>
    public IReadOnlyList<string> FirstTitles { get; init; } = [];

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>For sources with nothing to read now (the webhook inbox): a sentence instead of counts.</summary>
    public string? Note { get; init; }

    public static ConnectionTestResult Failed(SourceException e) => new() { ErrorKind = e.Kind, Error = e.Message };
}

/// <summary>Runs the admin UI's "Test connection" for one source kind.</summary>
internal interface IConnectionTester
{
    bool Handles(SourceKind kind);

    Task<ConnectionTestResult> TestAsync(ConnectionTarget target, CancellationToken cancellationToken);
}

/// <summary>A calendar collection found on a CalDAV server, for the admin to pick from.</summary>
internal sealed record DiscoveredCollection(string Url, string DisplayName, bool HasTasks, bool HasEvents);

/// <summary>Lists the calendar collections a CalDAV server URL leads to (so a server URL is enough).</summary>
internal interface ICollectionDiscovery
{
    Task<IReadOnlyList<DiscoveredCollection>> DiscoverAsync(string url, string? username, string? secret, CancellationToken cancellationToken);
}

/// <summary>Picks the tester for a kind; a kind without one says so rather than pretending the test passed.</summary>
internal sealed class ConnectionTester(IEnumerable<IConnectionTester> testers)
{
    public const int PreviewCount = 5;

    public Task<ConnectionTestResult> TestAsync(ConnectionTarget target, CancellationToken cancellationToken)
    {
        var tester = testers.FirstOrDefault(t => t.Handles(target.Kind));
        return tester is null
            ? Task.FromResult(new ConnectionTestResult { ErrorKind = SourceErrorKind.Protocol, Error = "This version of the service cannot test this kind of source yet." })
            : tester.TestAsync(target, cancellationToken);
    }

    /// <summary>Credentials as the source expects them: Basic with a user name, Bearer with a token alone.</summary>
    public static SourceCredentials? Credentials(string? username, string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return string.IsNullOrEmpty(username) ? null : SourceCredentials.Basic(username, "");
        }

        return string.IsNullOrEmpty(username) ? SourceCredentials.Bearer(secret) : SourceCredentials.Basic(username, secret);
    }
}
