using ChannelService.Installer;

namespace ChannelService.Tests.Installer;

public sealed class InstallerAppPackageTests
{
    private string folder = null!;

    [SetUp]
    public void CopyTheApp()
    {
        folder = Path.Combine(Path.GetTempPath(), "installer-app-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.EnumerateFiles(InstallerAppPackage.DefaultSource, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(folder, Path.GetRelativePath(InstallerAppPackage.DefaultSource, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [TearDown]
    public void RemoveTheCopy() => Directory.Delete(folder, recursive: true);

    [TestCase("tools/**", "tools/draw_logos.py", true)]
    [TestCase("tools/**", "assets/tools/x.png", false)]
    [TestCase("tools", "tools/draw_logos.py", true)]
    [TestCase("README.md", "README.md", true)]
    [TestCase("README.md", "docs/README.md", true)]
    [TestCase("/README.md", "docs/README.md", false)]
    [TestCase("*.psd", "assets/logo.psd", true)]
    [TestCase("*.psd", "assets/logo.png", false)]
    [TestCase("assets/*.png", "assets/logo.png", true)]
    [TestCase("assets/*.png", "assets/icons/logo.png", false)]
    [TestCase("assets/**/*.png", "assets/icons/logo.png", true)]
    [TestCase("logo-?.png", "assets/logo-1.png", true)]
    [TestCase("# tools/**", "tools/draw_logos.py", false)]
    public void Zcliignore_Patterns_Follow_Gitignore_Basics(string pattern, string path, bool ignored) =>
        Assert.That(ZcliIgnore.Parse([pattern]).IsIgnored(path), Is.EqualTo(ignored));

    [Test]
    public void Files_Named_In_Zcliignore_Temp_Files_And_Dotfiles_Stay_Out_Of_The_Package()
    {
        Directory.CreateDirectory(Path.Combine(folder, "tools"));
        Directory.CreateDirectory(Path.Combine(folder, "tmp"));
        File.WriteAllText(Path.Combine(folder, "tools", "draw_logos.py"), "print()");
        File.WriteAllText(Path.Combine(folder, "tmp", "app-20250101.zip"), "old package");
        File.WriteAllText(Path.Combine(folder, ".DS_Store"), "finder");
        File.WriteAllText(Path.Combine(folder, "notes.psd"), "layers");
        File.AppendAllText(Path.Combine(folder, ".zcliignore"), "*.psd\n");

        var files = InstallerAppPackage.PackagedFiles(folder, ZcliIgnore.Load(folder));

        Assert.That(files, Does.Contain("manifest.json").And.Contain("assets/logo.png"));
        Assert.That(files, Has.None.StartsWith("tools/").And.None.StartsWith("tmp/").And.None.StartsWith("."));
        Assert.That(files, Does.Not.Contain("notes.psd").And.Not.Contain("README.md"));
    }

    [Test]
    public void A_Symbolic_Link_In_The_App_Folder_Is_Refused()
    {
        File.CreateSymbolicLink(Path.Combine(folder, "assets", "banner.png"), Path.Combine(folder, "assets", "logo.png"));

        var error = Assert.Throws<InvalidOperationException>(() => InstallerAppPackage.Build(folder, "https://channel.example.com"));

        Assert.That(error!.Message, Does.Contain("assets/banner.png").And.Contain("symbolic link"));
    }

    [Test]
    public void A_Requirements_File_Without_Exactly_One_Channel_Integration_Is_Refused()
    {
        File.WriteAllText(Path.Combine(folder, "requirements.json"), """{"channel_integrations": {"a": {"manifest_url": "x"}, "b": {"manifest_url": "y"}}}""");

        var error = Assert.Throws<InvalidOperationException>(() => InstallerAppPackage.Build(folder, "https://channel.example.com"));

        Assert.That(error!.Message, Does.Contain("exactly one channel_integrations entry"));
    }

    [Test]
    public void A_Missing_App_Folder_Is_Named_In_The_Error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => InstallerAppPackage.Build(Path.Combine(folder, "nowhere"), "https://channel.example.com"));

        Assert.That(error!.Message, Does.Contain("no manifest.json"));
    }
}
