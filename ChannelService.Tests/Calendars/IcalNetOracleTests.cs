using System.Text.Json;

namespace ChannelService.Tests.Calendars;

/// <summary>
/// Ical.Net 5.2.4 as a second oracle over the corpus (libical's counts in <see cref="IcalCorpusTests"/> are the
/// first). It stays in the tests: our reader parses the corpus about five times faster than libical. Every place
/// where the two readings differ is pinned in Fixtures/ical-oracle/disagreements.json with who is right and why.
/// </summary>
public sealed class IcalNetOracleTests
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    private static readonly Lazy<PinnedFile> Pinned = new(() =>
        JsonSerializer.Deserialize<PinnedFile>(File.ReadAllText(TestPaths.Fixture("ical-oracle", "disagreements.json")), Json)!);

    private static IEnumerable<string> CorpusFiles() =>
        Directory.GetFiles(TestPaths.IcsCorpus, "*.ics").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    [TestCaseSource(nameof(CorpusFiles))]
    public void Every_Disagreement_With_Ical_Net_Is_Pinned(string file)
    {
        var actual = Compare(file).Disagreements;
        var pinned = Pinned.Value.Verdicts.SelectMany(v => v.Cases).Where(c => c.File == file).ToList();

        Assert.That(
            actual,
            Is.EquivalentTo(pinned),
            $"New or changed (pin each under a verdict in disagreements.json):{Environment.NewLine}{JsonSerializer.Serialize(actual.Except(pinned), Json)}"
                + $"{Environment.NewLine}Pinned but gone:{Environment.NewLine}{JsonSerializer.Serialize(pinned.Except(actual), Json)}");
    }

    [Test]
    public void Every_Verdict_Names_Who_Is_Right_And_The_Rfc_5545_Section_Why()
    {
        Assert.That(Pinned.Value.Verdicts, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            foreach (var verdict in Pinned.Value.Verdicts)
            {
                Assert.That(verdict.Right, Is.AnyOf("ours", "ical.net", "either"), verdict.Why);
                Assert.That(verdict.Why, Does.Match(@"RFC 5545 §\d"), verdict.Why);
                Assert.That(verdict.Cases, Is.Not.Empty, verdict.Why);
            }
        });
    }

    [Test]
    public void The_Two_Readers_Agree_On_Most_Of_The_Corpus()
    {
        // Guards the comparison itself: were both sides to read nothing, nothing would disagree.
        var results = CorpusFiles().Select(Compare).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(results.Count(r => r.Disagreements.Count == 0), Is.GreaterThanOrEqualTo(30), "files read alike");
            Assert.That(results.Sum(r => r.Agreements), Is.GreaterThanOrEqualTo(1000), "values read alike");
        });
    }

    private static OracleComparison Compare(string file) => IcalNetOracle.Compare(file, File.ReadAllBytes(Path.Combine(TestPaths.IcsCorpus, file)));

    private sealed record PinnedFile(string About, IReadOnlyList<Verdict> Verdicts);

    private sealed record Verdict(string Right, string Why, IReadOnlyList<OracleDisagreement> Cases);
}
