using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Installer;
using ChannelService.Tests.Support;

namespace ChannelService.Tests.Installer;

/// <summary>
/// The validator must catch every rule it claims to check: each case breaks one rule in an otherwise valid
/// package (the service's own) and expects that rule's error key.
/// </summary>
public sealed class ZendeskAppValidatorTests
{
    private static readonly Lazy<IReadOnlyList<AppPackageEntry>> Valid = new(() =>
        ZendeskAppValidator.ReadZip(InstallerAppPackage.Build(InstallerAppPackage.DefaultSource, "https://channel.example.com")));

    private static List<AppPackageEntry> Edit(Action<List<AppPackageEntry>> change)
    {
        var entries = Valid.Value.ToList();
        change(entries);
        return entries;
    }

    private static void Replace(List<AppPackageEntry> entries, string path, byte[] content)
    {
        var index = entries.FindIndex(e => e.Path == path);
        entries[index] = entries[index] with { Content = content };
    }

    private static void EditJson(List<AppPackageEntry> entries, string path, Action<JsonObject> change)
    {
        var node = JsonNode.Parse(entries.Single(e => e.Path == path).Content)!.AsObject();
        change(node);
        Replace(entries, path, Encoding.UTF8.GetBytes(node.ToJsonString()));
    }

    private static void EditText(List<AppPackageEntry> entries, string path, Func<string, string> change) =>
        Replace(entries, path, Encoding.UTF8.GetBytes(change(Encoding.UTF8.GetString(entries.Single(e => e.Path == path).Content))));

    private static byte[] Content(string path) => Valid.Value.Single(e => e.Path == path).Content;

    private static IEnumerable<TestCaseData> BrokenPackages()
    {
        TestCaseData Case(string expectedKey, string name, Action<List<AppPackageEntry>> change) =>
            new TestCaseData(change, expectedKey).SetName($"Validator_Rejects_{name}");

        yield return Case("missing_manifest", "A_Package_Without_Manifest", e => e.RemoveAll(x => x.Path == "manifest.json"));
        yield return Case("nested_manifest", "A_Manifest_In_A_Folder", e =>
        {
            var moved = e.Select(x => x with { Path = "channel-installer/" + x.Path }).ToList();
            e.Clear();
            e.AddRange(moved);
        });
        yield return Case("duplicate_manifest_keys", "Duplicate_Manifest_Keys", e => EditText(e, "manifest.json", t => t.Replace("\"name\":", "\"name\": \"again\",\n  \"name\":", StringComparison.Ordinal)));
        yield return Case("manifest_not_json", "A_Manifest_With_A_Trailing_Comma", e => EditText(e, "manifest.json", t => t.TrimEnd().TrimEnd('}') + ",}"));
        yield return Case("manifest_keys.missing", "A_Manifest_Without_Author", e => EditJson(e, "manifest.json", m => m.Remove("author")));
        yield return Case("manifest_keys.missing", "A_Manifest_Without_Default_Locale", e => EditJson(e, "manifest.json", m => m.Remove("defaultLocale")));
        yield return Case("invalid_url", "An_Author_Url_That_Is_Not_Http", e => EditJson(e, "manifest.json", m => m["author"]!["url"] = "ftp://example.com"));
        yield return Case("author_incomplete", "An_Author_Without_Email", e => EditJson(e, "manifest.json", m => m["author"]!.AsObject().Remove("email")));
        yield return Case("no_location_required", "A_Location_In_A_Requirements_Only_App", e => EditJson(e, "manifest.json", m => m["location"] = new JsonObject { ["support"] = new JsonObject { ["ticket_sidebar"] = "assets/iframe.html" } }));
        yield return Case("no_framework_version_required", "A_Framework_Version_In_A_Requirements_Only_App", e => EditJson(e, "manifest.json", m => m["frameworkVersion"] = "2.0"));
        yield return Case("not_requirements_only", "An_App_That_Is_Not_Requirements_Only", e => EditJson(e, "manifest.json", m => m["requirementsOnly"] = false));
        yield return Case("unacceptable_boolean", "A_Boolean_Written_As_Text", e => EditJson(e, "manifest.json", m => m["private"] = "true"));
        yield return Case("not_single_install", "An_Installer_That_Can_Be_Installed_Twice", e => EditJson(e, "manifest.json", m => m.Remove("singleInstall")));
        yield return Case("invalid_default_locale", "An_Uppercase_Default_Locale", e => EditJson(e, "manifest.json", m => m["defaultLocale"] = "EN"));
        yield return Case("missing_translation_file", "A_Missing_Default_Translation", e => e.RemoveAll(x => x.Path == "translations/en.json"));
        yield return Case("missing_requirements", "A_Requirements_Only_App_Without_Requirements", e => e.RemoveAll(x => x.Path == "requirements.json"));
        yield return Case("multiple_channel_integrations", "Two_Channel_Integrations", e => EditJson(e, "requirements.json", r => r["channel_integrations"]!["second"] = new JsonObject { ["manifest_url"] = "https://b.example.com/manifest.json" }));
        yield return Case("channel_integration_count", "No_Channel_Integration", e => EditJson(e, "requirements.json", r => r["channel_integrations"] = new JsonObject()));
        yield return Case("missing_required_fields", "A_Channel_Integration_Without_Manifest_Url", e => EditJson(e, "requirements.json", r => r["channel_integrations"]!.AsObject().Single().Value!.AsObject().Remove("manifest_url")));
        yield return Case("manifest_url_not_https", "An_Http_Manifest_Url", e => EditJson(e, "requirements.json", r => r["channel_integrations"]!.AsObject().Single().Value!["manifest_url"] = "http://channel.example.com/manifest.json"));
        yield return Case("invalid_requirements_types", "An_Unknown_Requirement_Type", e => EditJson(e, "requirements.json", r => r["webhooks_v9"] = new JsonObject()));
        yield return Case("missing_required_fields", "A_Target_Without_Title", e => EditJson(e, "requirements.json", r => r["targets"] = new JsonObject { ["t"] = new JsonObject { ["type"] = "url_target" } }));
        yield return Case("duplicate_requirements", "Duplicate_Requirement_Keys", e => EditText(e, "requirements.json", t => t.Replace("\"channel_integrations\":", "\"channel_integrations\": {},\n  \"channel_integrations\":", StringComparison.Ordinal)));
        yield return Case("no_code_for_ifo_notemplate", "Code_In_A_Requirements_Only_App", e => e.Add(new AppPackageEntry("app.js", "var x = 1;"u8.ToArray())));
        yield return Case("translation.invalid_locale", "A_Translation_Not_Named_By_Locale", e => e.Add(new AppPackageEntry("translations/english.json", Content("translations/en.json"))));
        yield return Case("translation.not_json", "A_Translation_With_A_Comment", e => EditText(e, "translations/de.json", t => "// Deutsch\n" + t));
        yield return Case("translation.missing_required_key", "A_Translation_Without_Long_Description", e => EditJson(e, "translations/en.json", t => t["app"]!.AsObject().Remove("long_description")));
        yield return Case("translation_keys_differ", "Languages_With_Different_Keys", e => EditJson(e, "translations/es.json", t => t["app"]!["extra"] = "más"));
        yield return Case("translation_empty", "An_Empty_App_Name", e => EditJson(e, "translations/de.json", t => t["app"]!["name"] = " "));
        yield return Case("translation.invalid_format", "A_Number_As_A_Text", e => EditJson(e, "translations/de.json", t => t["app"]!["name"] = 5));
        yield return Case("logo.invalid_size", "A_Logo_Of_The_Wrong_Size", e => Replace(e, "assets/logo.png", Content("assets/logo-small.png")));
        yield return Case("logo.invalid_format", "A_Logo_That_Is_Not_A_Png", e => Replace(e, "assets/logo.png", [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]));
        yield return Case("logo.invalid_format", "A_Logo_With_A_Corrupt_Chunk", e =>
        {
            var bytes = Content("assets/logo.png").ToArray();
            bytes[60] ^= 0x01;
            Replace(e, "assets/logo.png", bytes);
        });
        yield return Case("logo.no_transparency", "A_Small_Logo_Without_Alpha", e => Replace(e, "assets/logo-small.png", Png.Write(128, 128, 2, new byte[128 * 128 * 3])));
        yield return Case("logo_missing", "A_Package_Without_Small_Logo", e => e.RemoveAll(x => x.Path == "assets/logo-small.png"));
        yield return Case("banner.invalid_size", "A_Banner_Of_The_Wrong_Size", e => e.Add(new AppPackageEntry("assets/banner.png", Png.Write(800, 200, 2, new byte[800 * 200 * 3]))));
        yield return Case("symlink_in_zip", "A_Symlink", e => e.Add(new AppPackageEntry("assets/link.png", "logo.png"u8.ToArray(), unchecked((int)0xA1FF0000u))));
        yield return Case("unsupported_mime_type", "A_Zip_Inside_The_Zip", e => e.Add(new AppPackageEntry("assets/extra.zip", Content("assets/logo.png"))));
        yield return Case("unsupported_mime_type", "A_Pdf_Named_As_Text", e => e.Add(new AppPackageEntry("assets/notes.txt", "%PDF-1.7\n"u8.ToArray())));
        yield return Case("dotfile_in_zip", "The_Ignore_File", e => e.Add(new AppPackageEntry(".zcliignore", "tools/**\n"u8.ToArray())));
        yield return Case("unsafe_path", "A_Path_Leaving_The_Package", e => e.Add(new AppPackageEntry("../evil.json", "{}"u8.ToArray())));
    }

    [Test]
    public void Validator_Accepts_The_Services_Own_Package() =>
        Assert.That(ZendeskAppValidator.Validate(Valid.Value.ToList()), Is.Empty);

    [TestCaseSource(nameof(BrokenPackages))]
    public void Validator_Rejects_A_Broken_Rule(Action<List<AppPackageEntry>> change, string expectedKey)
    {
        var errors = ZendeskAppValidator.Validate(ZendeskAppValidator.WriteZip(Edit(change)));

        Assert.That(errors, Has.Some.StartsWith(expectedKey + ":"), string.Join(Environment.NewLine, errors));
    }

    [Test]
    public void Strict_Json_Finds_Duplicates_In_Nested_Objects_But_Not_Across_Objects()
    {
        Assert.That(StrictJson.Check("""{"a":{"x":1,"x":2}}"""u8.ToArray()), Does.StartWith("duplicate key 'x'"));
        Assert.That(StrictJson.Check("""{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]}"""u8.ToArray()), Is.Null);
        Assert.That(StrictJson.Check("""{"a":1,}"""u8.ToArray()), Does.StartWith("not valid JSON"));
        Assert.That(StrictJson.Check([0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}']), Is.EqualTo("starts with a byte order mark"));
    }
}
