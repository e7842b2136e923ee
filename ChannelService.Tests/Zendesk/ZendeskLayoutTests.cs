using System.Text.RegularExpressions;

namespace ChannelService.Tests.Zendesk;

/// <summary>Zendesk/ (the hand-over to Zendesk) is used by the features, never the other way round (issue 16).</summary>
public sealed partial class ZendeskLayoutTests
{
    [Test]
    public void Zendesk_Depends_On_Neither_Events_Nor_Inbox()
    {
        var folder = Path.Combine(TestPaths.RepositoryRoot, "ChannelService", "Zendesk");

        var references = Directory.EnumerateFiles(folder, "*.cs")
            .SelectMany(f => FeatureReference().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetFileName(f)}: {m.Value}"))
            .ToList();

        Assert.That(Directory.EnumerateFiles(folder, "*.cs"), Is.Not.Empty);
        Assert.That(references, Is.Empty);
    }

    [GeneratedRegex(@"ChannelService\.(Events|Inbox)\b|\b(Events|Inbox)\.[A-Z]\w+")]
    private static partial Regex FeatureReference();
}
