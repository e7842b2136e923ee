using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ChannelService.Tests.Support;

/// <summary>One file of an app package as the zip holds it.</summary>
public sealed record AppPackageEntry(string Path, byte[] Content, int ExternalAttributes = unchecked((int)0x81A40000u));

/// <summary>
/// Checks a Zendesk app package (zip) the way Zendesk's server-side validator does before it accepts an upload
/// (channel-framework.md §10): the rules of zendesk_apps_support (ZAS: Validations::Manifest, Requirements,
/// Translations, Source, Marketplace, Mime, Banner), named by their ZAS error keys, plus a few stricter rules of
/// ours for a channel installer (named without a ZAS key). Every problem is returned as "key: detail".
/// </summary>
internal static partial class ZendeskAppValidator
{
    // ZAS AppRequirement::TYPES.
    private static readonly string[] RequirementTypes = ["automations", "channel_integrations", "macros", "targets", "views", "ticket_fields", "triggers", "user_fields"];

    // ZAS Mime::UNSUPPORTED_MIME_TYPES, matched against the extension and the content's magic bytes.
    private static readonly string[] UnsupportedTypes = ["vnd.rar", "rar", "zip", "gzip", "pdf", "doc", "docx", "avi", "bin", "bz", "bz2", "csh", "sh", "jar", "mp3", "mpeg", "odt", "pptx", "ppt", "xls", "xlsx", "7z"];

    // ZAS Translations#get_missing_keys: private apps need app.name; public (Marketplace) apps all four.
    // We require all four everywhere so the app could be listed publicly without new texts.
    public static readonly string[] RequiredTranslationKeys = ["app.name", "app.short_description", "app.long_description", "app.installation_instructions"];

    public static IReadOnlyList<AppPackageEntry> ReadZip(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.Select(e =>
        {
            using var stream = e.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return new AppPackageEntry(e.FullName, copy.ToArray(), e.ExternalAttributes);
        }).ToList();
    }

    public static byte[] WriteZip(IEnumerable<AppPackageEntry> entries)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in entries)
            {
                var entry = archive.CreateEntry(file.Path);
                entry.ExternalAttributes = file.ExternalAttributes;
                using var stream = entry.Open();
                stream.Write(file.Content);
            }
        }

        return buffer.ToArray();
    }

    /// <param name="zip">the package.</param>
    /// <param name="allowLoopbackHttp">accept an http manifest_url on a loopback host (a service whose own base URL is loopback).</param>
    public static IReadOnlyList<string> Validate(byte[] zip, bool allowLoopbackHttp = false) => Validate(ReadZip(zip), allowLoopbackHttp);

    public static IReadOnlyList<string> Validate(IReadOnlyList<AppPackageEntry> entries, bool allowLoopbackHttp = false)
    {
        var errors = new List<string>();
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            CheckEntry(entry, errors);
            if (!entry.Path.EndsWith('/') && !files.TryAdd(entry.Path, entry.Content))
            {
                errors.Add($"duplicate_entry: {entry.Path} appears twice in the zip");
            }
        }

        var manifest = CheckManifest(files, errors);
        if (manifest is null)
        {
            return errors;
        }

        var requirementsOnly = manifest["requirementsOnly"] is JsonValue r && r.TryGetValue<bool>(out var ro) && ro;
        CheckSource(files, requirementsOnly, errors);
        CheckRequirements(files, requirementsOnly, allowLoopbackHttp, errors);
        CheckTranslations(files, (string?)manifest["defaultLocale"], errors);
        CheckAssets(files, errors);
        return errors;
    }

    private static void CheckEntry(AppPackageEntry entry, List<string> errors)
    {
        // Marketplace#no_symlinks: Unix mode bits live in the high 16 bits of the external attributes.
        if (((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000)
        {
            errors.Add($"symlink_in_zip: {entry.Path} is a symbolic link");
        }

        if (entry.Path.StartsWith('/') || entry.Path.Contains('\\', StringComparison.Ordinal) || entry.Path.Split('/').Contains(".."))
        {
            errors.Add($"unsafe_path: {entry.Path}");
        }

        // zcli's glob never packages dotfiles (.zcliignore, .DS_Store, .git).
        if (entry.Path.Split('/').Any(p => p.StartsWith('.')))
        {
            errors.Add($"dotfile_in_zip: {entry.Path}");
        }

        var extension = Path.GetExtension(entry.Path).TrimStart('.').ToLowerInvariant();
        var magic = MagicType(entry.Content);
        if (UnsupportedTypes.Contains(extension) || (magic is not null && UnsupportedTypes.Contains(magic)))
        {
            errors.Add($"unsupported_mime_type: {entry.Path} ({magic ?? extension})");
        }
    }

    private static string? MagicType(byte[] content)
    {
        ReadOnlySpan<byte> c = content;
        return c switch
        {
            _ when c.StartsWith("PK\u0003\u0004"u8) => "zip",
            _ when c.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]) => "gzip",
            _ when c.StartsWith("%PDF"u8) => "pdf",
            _ when c.StartsWith("BZh"u8) => "bz2",
            _ when c.StartsWith("Rar!"u8) => "rar",
            _ when c.StartsWith((ReadOnlySpan<byte>)[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) => "7z",
            _ when c.StartsWith("#!/bin/sh"u8) || c.StartsWith("#!/bin/bash"u8) || c.StartsWith("#!/usr/bin/env bash"u8) => "sh",
            _ => null,
        };
    }

    private static JsonObject? CheckManifest(Dictionary<string, byte[]> files, List<string> errors)
    {
        if (!files.TryGetValue("manifest.json", out var bytes))
        {
            var nested = files.Keys.FirstOrDefault(p => NestedManifest().IsMatch(p));
            errors.Add(nested is null ? "missing_manifest: no manifest.json at the zip root" : $"nested_manifest: found {nested}; manifest.json must sit at the zip root");
            return null;
        }

        if (StrictJson.Check(bytes) is { } problem)
        {
            errors.Add((problem.StartsWith("duplicate", StringComparison.Ordinal) ? "duplicate_manifest_keys: " : "manifest_not_json: ") + problem);
            return null;
        }

        if (JsonNode.Parse(bytes) is not JsonObject manifest)
        {
            errors.Add("manifest_not_json: manifest.json is not an object");
            return null;
        }

        // REQUIRED_MANIFEST_FIELDS are author and defaultLocale; name is what ZAT and Admin Center show.
        var missing = new[] { "name", "author", "defaultLocale" }.Where(k => manifest[k] is null).ToList();
        if (missing.Count > 0)
        {
            errors.Add($"manifest_keys.missing: {string.Join(", ", missing)}");
        }

        foreach (var key in new[] { "requirementsOnly", "marketingOnly", "singleInstall", "signedUrls", "private" })
        {
            if (manifest[key] is { } value && value.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False))
            {
                errors.Add($"unacceptable_boolean: {key} is {value.ToJsonString()}");
            }
        }

        foreach (var key in new[] { "name", "defaultLocale", "version", "frameworkVersion", "remoteInstallationURL", "termsConditionsURL", "gaID" })
        {
            if (manifest[key] is { } value && value.GetValueKind() != System.Text.Json.JsonValueKind.String)
            {
                errors.Add($"unacceptable_string: {key} is {value.ToJsonString()}");
            }
        }

        if (manifest["author"] is JsonObject author)
        {
            foreach (var key in new[] { "name", "email", "url" })
            {
                if (author[key] is { } value && value.GetValueKind() != System.Text.Json.JsonValueKind.String)
                {
                    errors.Add($"unacceptable_string: author {key} is {value.ToJsonString()}");
                }
                else if (author[key] is null)
                {
                    errors.Add($"author_incomplete: author.{key} is missing");
                }
            }

            if (author["url"] is JsonValue url && url.TryGetValue<string>(out var text) && !HttpUrl().IsMatch(text))
            {
                errors.Add($"invalid_url: author url '{text}'");
            }
        }
        else if (manifest["author"] is not null)
        {
            errors.Add("unacceptable_hash: author must be an object");
        }

        if (manifest["defaultLocale"] is JsonValue dl && dl.TryGetValue<string>(out var locale))
        {
            if (!ValidLocale().IsMatch(locale))
            {
                errors.Add($"invalid_default_locale: '{locale}'");
            }
            else if (!files.ContainsKey($"translations/{locale}.json"))
            {
                errors.Add($"missing_translation_file: translations/{locale}.json");
            }
        }

        var requirementsOnly = manifest["requirementsOnly"] is JsonValue r && r.TryGetValue<bool>(out var ro) && ro;
        if (requirementsOnly)
        {
            if (manifest["location"] is not null)
            {
                errors.Add("no_location_required: requirements-only apps cannot define locations");
            }

            if (manifest["frameworkVersion"] is not null)
            {
                errors.Add("no_framework_version_required: requirements-only apps cannot set a framework version");
            }
        }
        else
        {
            errors.Add("not_requirements_only: a channel installer is a requirements-only app (requirementsOnly: true)");
        }

        // A channel integration exists once per Zendesk account: installing the app twice would try to create it twice.
        if (manifest["singleInstall"] is not JsonValue si || !si.TryGetValue<bool>(out var single) || !single)
        {
            errors.Add("not_single_install: a channel installer must set singleInstall: true");
        }

        if (manifest["parameters"] is JsonArray { Count: > 0 })
        {
            errors.Add("no_parameters_required: a channel installer takes no settings");
        }

        return manifest;
    }

    private static void CheckSource(Dictionary<string, byte[]> files, bool requirementsOnly, List<string> errors)
    {
        // Source#package_has_code: a requirements-only app carries no code.
        var code = files.Keys.Where(p => p is "app.js" or "app.css" || (p.StartsWith("lib/", StringComparison.Ordinal) && p.EndsWith(".js", StringComparison.Ordinal)) || TemplateFile().IsMatch(p)).ToList();
        if (requirementsOnly && code.Count > 0)
        {
            errors.Add($"no_code_for_ifo_notemplate: {string.Join(", ", code)}");
        }
    }

    private static void CheckRequirements(Dictionary<string, byte[]> files, bool requirementsOnly, bool allowLoopbackHttp, List<string> errors)
    {
        if (!files.TryGetValue("requirements.json", out var bytes))
        {
            if (requirementsOnly)
            {
                errors.Add("missing_requirements: requirements.json is missing");
            }

            return;
        }

        if (StrictJson.Check(bytes) is { } problem)
        {
            errors.Add((problem.StartsWith("duplicate", StringComparison.Ordinal) ? "duplicate_requirements: " : "requirements_not_json: ") + problem);
            return;
        }

        if (JsonNode.Parse(bytes) is not JsonObject requirements)
        {
            errors.Add("requirements_not_json: requirements.json is not an object");
            return;
        }

        var invalid = requirements.Select(p => p.Key).Where(k => !RequirementTypes.Contains(k)).ToList();
        if (invalid.Count > 0)
        {
            errors.Add($"invalid_requirements_types: {string.Join(", ", invalid)}");
        }

        var count = requirements.Sum(p => p.Value switch { JsonObject o => o.Count, JsonArray a => a.Count, _ => 1 });
        if (count > 5000)
        {
            errors.Add($"excessive_requirements: {count} > 5000");
        }

        foreach (var (type, group) in requirements)
        {
            if (type == "channel_integrations" || group is not JsonObject items)
            {
                continue;
            }

            foreach (var (identifier, fields) in items)
            {
                if (fields is JsonObject f && f["title"] is null)
                {
                    errors.Add($"missing_required_fields: {type}.{identifier} needs title");
                }
            }
        }

        if (requirements["channel_integrations"] is not JsonObject integrations || integrations.Count == 0)
        {
            errors.Add("channel_integration_count: a channel installer declares exactly one channel_integrations entry; it has none");
            return;
        }

        if (integrations.Count > 1)
        {
            errors.Add("multiple_channel_integrations: at most one channel integration per app");
        }

        foreach (var (identifier, fields) in integrations)
        {
            if (fields is not JsonObject f || f["manifest_url"] is not JsonValue value || !value.TryGetValue<string>(out var url))
            {
                errors.Add($"missing_required_fields: channel_integrations.{identifier} needs manifest_url");
                continue;
            }

            // Zendesk creates the integration at install time and fails with "Error creating requirements"
            // for a manifest URL that is not https (channel-framework.md §1, §10).
            if (!ZendeskSchemas.IsHttpsUrl(url, allowLoopbackHttp))
            {
                errors.Add($"manifest_url_not_https: '{url}'");
            }
        }
    }

    private static void CheckTranslations(Dictionary<string, byte[]> files, string? defaultLocale, List<string> errors)
    {
        var keysByLocale = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (path, bytes) in files.Where(f => f.Key.StartsWith("translations/", StringComparison.Ordinal)).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var match = TranslationPath().Match(path);
            if (!match.Success)
            {
                errors.Add($"translation_not_json_file: {path}");
                continue;
            }

            var locale = match.Groups[1].Value;
            if (!ValidLocale().IsMatch(locale))
            {
                errors.Add($"translation.invalid_locale: {path}");
            }

            if (StrictJson.Check(bytes) is { } problem)
            {
                errors.Add($"translation.not_json: {path}: {problem}");
                continue;
            }

            if (JsonNode.Parse(bytes) is not JsonObject root)
            {
                errors.Add($"translation.not_json_object: {path}");
                continue;
            }

            var keys = new HashSet<string>(StringComparer.Ordinal);
            Flatten(root, string.Empty, keys, path, errors);
            keysByLocale[locale] = keys;

            var missing = RequiredTranslationKeys.Where(k => !keys.Contains(k) && !(k == "app.short_description" && keys.Contains("app.description"))).ToList();
            if (missing.Count > 0)
            {
                errors.Add($"translation.missing_required_key: {path} lacks {string.Join(", ", missing)}");
            }
        }

        // Zendesk falls back to the default locale key by key; a key missing in one language shows English there.
        if (defaultLocale is not null && keysByLocale.TryGetValue(defaultLocale, out var reference))
        {
            foreach (var (locale, keys) in keysByLocale.Where(l => l.Key != defaultLocale))
            {
                if (!keys.SetEquals(reference))
                {
                    errors.Add($"translation_keys_differ: {locale} has [{string.Join(", ", keys.Except(reference))}] extra and lacks [{string.Join(", ", reference.Except(keys))}]");
                }
            }
        }
    }

    private static void Flatten(JsonObject node, string prefix, HashSet<string> keys, string path, List<string> errors)
    {
        foreach (var (name, child) in node)
        {
            var key = prefix.Length == 0 ? name : $"{prefix}.{name}";
            switch (child)
            {
                // A {title, value} pair is one translatable text with a note for translators (BuildTranslation).
                case JsonObject pair when pair.Count == 2 && pair["title"] is JsonValue && pair["value"] is JsonValue v && v.TryGetValue<string>(out var text):
                    AddText(key, text);
                    break;
                case JsonObject obj:
                    Flatten(obj, key, keys, path, errors);
                    break;
                case JsonValue value when value.TryGetValue<string>(out var text):
                    AddText(key, text);
                    break;
                default:
                    errors.Add($"translation.invalid_format: {path}: '{key}' is not a text");
                    break;
            }
        }

        void AddText(string key, string text)
        {
            keys.Add(key);
            if (string.IsNullOrWhiteSpace(text))
            {
                errors.Add($"translation_empty: {path}: '{key}' is empty");
            }
        }
    }

    private static void CheckAssets(Dictionary<string, byte[]> files, List<string> errors)
    {
        // developer.zendesk.com "Create assets": logo.png 320x320; logo-small.png the small icon with transparency.
        CheckPng(files, "assets/logo.png", required: true, [(320, 320)], needsAlpha: false, "logo", errors);
        CheckPng(files, "assets/logo-small.png", required: true, [(128, 128)], needsAlpha: true, "logo", errors);

        // ZAS Banner: 830x200 or 1660x400.
        CheckPng(files, "assets/banner.png", required: false, [(830, 200), (1660, 400)], needsAlpha: false, "banner", errors);
    }

    private static void CheckPng(Dictionary<string, byte[]> files, string path, bool required, (int Width, int Height)[] sizes, bool needsAlpha, string kind, List<string> errors)
    {
        if (!files.TryGetValue(path, out var bytes))
        {
            if (required)
            {
                errors.Add($"{kind}_missing: {path}");
            }

            return;
        }

        if (Png.Read(bytes) is not { } png)
        {
            errors.Add($"{kind}.invalid_format: {path} is not a valid PNG");
            return;
        }

        if (!sizes.Contains((png.Width, png.Height)))
        {
            errors.Add($"{kind}.invalid_size: {path} is {png.Width}x{png.Height}, expected {string.Join(" or ", sizes.Select(s => $"{s.Width}x{s.Height}"))}");
        }

        if (needsAlpha && png.ColorType is not (4 or 6))
        {
            errors.Add($"{kind}.no_transparency: {path} has no alpha channel (colour type {png.ColorType})");
        }
    }

    [GeneratedRegex(@"\A[^/]+?/manifest\.json\z")]
    private static partial Regex NestedManifest();

    // ZAS Translations::VALID_LOCALE.
    [GeneratedRegex(@"^[a-z]{2}(-\w{2,3})?$")]
    private static partial Regex ValidLocale();

    [GeneratedRegex(@"^translations/(.*)\.json$")]
    private static partial Regex TranslationPath();

    [GeneratedRegex(@"^templates/.*\.hdbs$")]
    private static partial Regex TemplateFile();

    [GeneratedRegex("^https?://")]
    private static partial Regex HttpUrl();
}

/// <summary>
/// A PNG read strictly (PNG spec, ISO/IEC 15948): signature, chunks with valid CRCs, IHDR first, IEND last,
/// and IDAT data that inflates to exactly the bytes the header promises (8-bit, non-interlaced images).
/// </summary>
internal sealed record Png(int Width, int Height, int BitDepth, int ColorType, byte[] Pixels)
{
    public static Png? Read(byte[] bytes)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (!bytes.AsSpan().StartsWith(signature))
        {
            return null;
        }

        var offset = signature.Length;
        var chunks = new List<(string Type, byte[] Data)>();
        while (offset + 12 <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
            if (length < 0 || offset + 12L + length > bytes.Length)
            {
                return null;
            }

            var typeAndData = bytes.AsSpan(offset + 4, 4 + length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 8 + length));
            if (Crc32(typeAndData) != crc)
            {
                return null;
            }

            chunks.Add((System.Text.Encoding.ASCII.GetString(typeAndData[..4]), typeAndData[4..].ToArray()));
            offset += 12 + length;
        }

        if (offset != bytes.Length || chunks.Count < 3 || chunks[0] is not { Type: "IHDR", Data.Length: 13 } || chunks[^1].Type != "IEND")
        {
            return null;
        }

        var header = chunks[0].Data;
        var width = BinaryPrimitives.ReadInt32BigEndian(header);
        var height = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        int bitDepth = header[8], colorType = header[9], interlace = header[12];
        using var compressed = new MemoryStream(chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray());
        using var inflated = new MemoryStream();
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
            zlib.CopyTo(inflated);
        }
        catch (InvalidDataException)
        {
            return null;
        }

        var channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        if (width <= 0 || height <= 0 || channels == 0 || (bitDepth == 8 && interlace == 0 && inflated.Length != (long)height * (1 + (width * channels))))
        {
            return null;
        }

        return new Png(width, height, bitDepth, colorType, inflated.ToArray());
    }

    /// <summary>Encodes 8-bit pixels (rows without filter bytes) as a PNG, for tests that need a differently shaped image.</summary>
    public static byte[] Write(int width, int height, int colorType, byte[] pixels)
    {
        var channels = colorType == 6 ? 4 : 3;
        using var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            raw.Write(pixels, y * width * channels, width * channels);
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(zlib);
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = (byte)colorType;
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        foreach (var (type, data) in new[] { ("IHDR", header), ("IDAT", compressed.ToArray()), ("IEND", Array.Empty<byte>()) })
        {
            var chunk = new byte[12 + data.Length];
            BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
            System.Text.Encoding.ASCII.GetBytes(type, chunk.AsSpan(4));
            data.CopyTo(chunk, 8);
            BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
            png.Write(chunk);
        }

        return png.ToArray();
    }

    // CRC-32 (ISO 3309, polynomial 0xEDB88320) over chunk type and data, PNG spec §5.5.
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
