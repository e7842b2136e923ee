using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ChannelService.Tests.Admin;

/// <summary>
/// Every string the admin UI, its Zendesk link panel and the "Connect to Zendesk" window show through the localizer
/// (<c>T["…"]</c> in views, <c>t["…"]</c> in code; English is the key) has a translation in every resx language.
/// </summary>
public sealed partial class AdminTranslationTests
{
    [Test]
    public void Every_Localised_String_Has_A_Translation_In_Every_Admin_Language()
    {
        var source = Path.Combine(TestPaths.RepositoryRoot, "ChannelService");
        var keys = Directory.EnumerateFiles(source, "*.*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".cshtml", StringComparison.Ordinal))
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => Localised().Matches(File.ReadAllText(f)).Select(m => (Key: m.Groups[1].Value.Replace("\\\"", "\"", StringComparison.Ordinal), File: Path.GetFileName(f))))
            .ToList();
        Assert.That(keys.Select(k => k.File), Does.Contain("ZendeskOAuthController.cs").And.Contain("OAuthPage.cshtml").And.Contain("Details.cshtml"), "the scan sees the Connect window and the admin pages");

        var languages = Directory.GetFiles(Path.Combine(source, "Resources", "Admin"), "AdminText.*.resx");
        Assert.That(languages.Select(Path.GetFileName), Is.EquivalentTo(new[] { "AdminText.de.resx", "AdminText.es.resx" }));
        foreach (var resx in languages)
        {
            var names = XDocument.Load(resx).Root!.Elements("data").Select(d => (string)d.Attribute("name")!).ToHashSet(StringComparer.Ordinal);
            var missing = keys.Where(k => !names.Contains(k.Key)).Select(k => $"{k.File}: {k.Key}").Distinct().ToList();
            Assert.That(missing, Is.Empty, Path.GetFileName(resx) + " lacks translations");
        }
    }

    [GeneratedRegex("""\b[tT]\["((?:[^"\\]|\\.)*)"[\],]""")]
    private static partial Regex Localised();
}
