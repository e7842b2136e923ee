using System.IO.Compression;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ChannelService.Installer;

/// <summary>
/// Builds the Zendesk channel installer app (a requirements-only app, channel-framework.md §10) from the
/// <c>installer-app/</c> folder that ships beside the assembly, pointed at this service: the requirement's
/// <c>manifest_url</c> becomes <c>{PublicBaseUrl}/manifest.json</c>, the author URL the service's about page and
/// the app version the service's version (a new service release is a new app version to upload).
/// The zip is byte-for-byte deterministic (sorted entries, fixed times), so the HTTP download and the CLI agree.
/// </summary>
internal static class InstallerAppPackage
{
    public const string FolderName = "installer-app";

    // DOS timestamps cannot go below 1980; a fixed time keeps the bytes independent of checkout and build times.
    private static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Unix "regular file, rw-r--r--" in the high 16 bits: Zendesk's validator rejects symlinks (symlink_in_zip),
    // and an explicit mode leaves no room for an unpacker to guess one.
    private const int RegularFileAttributes = unchecked((int)0x81A40000u);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The folder the published service reads the app from.</summary>
    public static string DefaultSource => Path.Combine(AppContext.BaseDirectory, FolderName);

    /// <summary>The manifest URL Zendesk is given for <paramref name="baseUrl"/>.</summary>
    public static string ManifestUrl(string baseUrl) => baseUrl.TrimEnd('/') + "/manifest.json";

    /// <summary>Builds the zip for a service reachable at <paramref name="baseUrl"/>.</summary>
    /// <exception cref="InvalidOperationException">the app folder is missing or broken (a packaging bug, not user input).</exception>
    public static byte[] Build(string sourceDirectory, string baseUrl)
    {
        if (!File.Exists(Path.Combine(sourceDirectory, "manifest.json")))
        {
            throw new InvalidOperationException($"The installer app is missing: no manifest.json in {sourceDirectory}.");
        }

        var ignore = ZcliIgnore.Load(sourceDirectory);
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var path in PackagedFiles(sourceDirectory, ignore))
            {
                var content = path switch
                {
                    "requirements.json" => PointRequirementsAt(File.ReadAllText(Path.Combine(sourceDirectory, path)), ManifestUrl(baseUrl)),
                    "manifest.json" => Personalize(File.ReadAllText(Path.Combine(sourceDirectory, path)), baseUrl.TrimEnd('/') + "/about"),
                    _ => File.ReadAllBytes(Path.Combine(sourceDirectory, path)),
                };
                var entry = zip.CreateEntry(path, CompressionLevel.Optimal);
                entry.LastWriteTime = EntryTime;
                entry.ExternalAttributes = RegularFileAttributes;
                using var stream = entry.Open();
                stream.Write(content);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// The files zcli would package: everything under the folder, relative with '/', minus <c>tmp/</c>, dotfiles
    /// (its glob skips them) and <c>.zcliignore</c> patterns; sorted so the zip is deterministic.
    /// </summary>
    public static IReadOnlyList<string> PackagedFiles(string sourceDirectory, ZcliIgnore ignore)
    {
        var files = new List<string>();
        foreach (var full in Directory.EnumerateFiles(sourceDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(sourceDirectory, full).Replace(Path.DirectorySeparatorChar, '/');
            if (relative.Split('/').Any(part => part.StartsWith('.')) || relative.StartsWith("tmp/", StringComparison.Ordinal) || ignore.IsIgnored(relative))
            {
                continue;
            }

            if (new FileInfo(full).LinkTarget is not null)
            {
                throw new InvalidOperationException($"{FolderName}/{relative} is a symbolic link; Zendesk rejects app packages that contain symlinks.");
            }

            files.Add(relative);
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private static byte[] PointRequirementsAt(string requirementsJson, string manifestUrl)
    {
        var root = JsonNode.Parse(requirementsJson) as JsonObject;
        if (root?["channel_integrations"] is not JsonObject integrations || integrations.Count != 1 || integrations.Single().Value is not JsonObject integration)
        {
            throw new InvalidOperationException($"{FolderName}/requirements.json must hold exactly one channel_integrations entry.");
        }

        integration["manifest_url"] = manifestUrl;
        return Serialize(root);
    }

    private static byte[] Personalize(string manifestJson, string authorUrl)
    {
        var root = JsonNode.Parse(manifestJson) as JsonObject ?? throw new InvalidOperationException($"{FolderName}/manifest.json must be a JSON object.");
        if (root["author"] is JsonObject author)
        {
            author["url"] = authorUrl;
        }

        root["version"] = Manifest.ManifestRenderer.Version;

        return Serialize(root);
    }

    private static byte[] Serialize(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(Json) + "\n");
}

/// <summary>
/// The patterns of an app's <c>.zcliignore</c>, with gitignore's basics: <c>#</c> comments, <c>*</c> and <c>?</c>
/// within one path segment, <c>**</c> across segments, a pattern without a slash matching at any depth, a leading
/// slash anchoring at the app root, and a directory pattern excluding everything below it.
/// </summary>
internal sealed class ZcliIgnore(IReadOnlyList<Regex> patterns)
{
    public static ZcliIgnore Load(string appDirectory)
    {
        var file = Path.Combine(appDirectory, ".zcliignore");
        return File.Exists(file) ? Parse(File.ReadAllLines(file)) : new ZcliIgnore([]);
    }

    public static ZcliIgnore Parse(IEnumerable<string> lines)
    {
        var patterns = new List<Regex>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var anchored = line.TrimEnd('/').Contains('/', StringComparison.Ordinal);
            line = line.Trim('/');
            var regex = new StringBuilder(anchored ? "^" : "^(?:.*/)?");
            for (var i = 0; i < line.Length; i++)
            {
                if (line[i] == '*' && i + 1 < line.Length && line[i + 1] == '*')
                {
                    regex.Append(".*");
                    i++;
                }
                else
                {
                    regex.Append(line[i] switch
                    {
                        '*' => "[^/]*",
                        '?' => "[^/]",
                        _ => Regex.Escape(line[i].ToString()),
                    });
                }
            }

            patterns.Add(new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
        }

        return new ZcliIgnore(patterns);
    }

    /// <summary>True when the file, or one of the folders above it, matches a pattern.</summary>
    public bool IsIgnored(string relativePath)
    {
        var parts = relativePath.Split('/');
        for (var depth = 1; depth <= parts.Length; depth++)
        {
            var prefix = string.Join('/', parts.Take(depth));
            if (patterns.Any(p => p.IsMatch(prefix)))
            {
                return true;
            }
        }

        return false;
    }
}
