using System.Text.Json.Nodes;
using NJsonSchema;

namespace ChannelService.Tests.Support;

/// <summary>
/// Validates payloads against Zendesk's official channel schemas in Fixtures/zendesk-schemas.
/// NJsonSchema 10.7 needs three repairs to read them, done on a temporary copy:
/// <c>"type": "any"</c> (draft 3) becomes an unconstrained schema, manifest.json's nested
/// <c>#/definitions/manifest/definitions/urls</c> is flattened to <c>#/definitions/urls</c>, and the custom
/// formats <c>https-url</c> and <c>external-id</c>, which NJsonSchema ignores, are checked here by walking the
/// schema beside the instance.
/// </summary>
internal static class ZendeskSchemas
{
    private static readonly Lazy<string> PreparedFolder = new(Prepare);
    private static readonly Dictionary<string, JsonSchema> Cache = [];
    private static readonly Lock CacheLock = new();

    /// <summary>Returns every violation (empty when valid).</summary>
    /// <param name="schemaFile">e.g. <c>pull_payload.json</c>.</param>
    /// <param name="json">the payload.</param>
    /// <param name="allowLoopbackHttp">accept <c>http://</c> URLs on loopback hosts for https-url (local test runs).</param>
    public static IReadOnlyList<string> Validate(string schemaFile, string json, bool allowLoopbackHttp = false)
    {
        var schema = Load(schemaFile);
        var errors = schema.Validate(json).Select(e => $"{e.Path}: {e.Kind}").ToList();
        var schemaNode = JsonNode.Parse(File.ReadAllText(Path.Combine(PreparedFolder.Value, schemaFile)))!;
        CheckFormats(schemaFile, schemaNode, schemaNode, JsonNode.Parse(json), "#", allowLoopbackHttp, errors, depth: 0);
        return errors;
    }

    public static void AssertValid(string schemaFile, string json, bool allowLoopbackHttp = false)
    {
        var errors = Validate(schemaFile, json, allowLoopbackHttp);
        Assert.That(errors, Is.Empty, $"{schemaFile} rejects the payload:{Environment.NewLine}{json}");
    }

    /// <summary>Reads (once) and returns one schema; throws at once when the fixture is missing.</summary>
    public static JsonSchema Load(string schemaFile)
    {
        lock (CacheLock)
        {
            if (!Cache.TryGetValue(schemaFile, out var schema))
            {
                var path = Path.Combine(PreparedFolder.Value, schemaFile);
                schema = JsonSchema.FromFileAsync(path).GetAwaiter().GetResult();
                Cache[schemaFile] = schema;
            }

            return schema;
        }
    }

    private static string Prepare()
    {
        var folder = Path.Combine(Path.GetTempPath(), "channelservice-schemas-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(TestPaths.ZendeskSchemas, "*.json"))
        {
            var node = JsonNode.Parse(File.ReadAllText(file))!;
            ReplaceAny(node);
            if (Path.GetFileName(file) == "manifest.json")
            {
                var manifest = node["definitions"]!["manifest"]!.AsObject();
                var urls = manifest["definitions"]!["urls"]!.DeepClone();
                manifest.Remove("definitions");
                node["definitions"]!["urls"] = urls;
                manifest["properties"]!["urls"] = new JsonObject { ["$ref"] = "#/definitions/urls" };
            }

            InlineEventBase(Path.GetFileName(file), node, TestPaths.ZendeskSchemas);
            File.WriteAllText(Path.Combine(folder, Path.GetFileName(file)), node.ToJsonString());
        }

        return folder;
    }

    /// <summary>
    /// The event callback schemas are a root <c>$ref</c> to <c>event_callback_base.json#/definitions/event_callback_base</c>
    /// with the type's <c>properties</c> beside it. NJsonSchema cannot resolve a definition behind another file's root
    /// <c>$ref</c>, and draft 4 ignores keywords beside <c>$ref</c>; both parts are meant to apply, so the base is inlined
    /// into an <c>allOf</c> with the type's own properties.
    /// </summary>
    private static void InlineEventBase(string fileName, JsonNode node, string sourceFolder)
    {
        if (!fileName.StartsWith("event_callback_", StringComparison.Ordinal) || node is not JsonObject root)
        {
            return;
        }

        var baseFile = JsonNode.Parse(File.ReadAllText(Path.Combine(sourceFolder, "event_callback_base.json")))!;
        ReplaceAny(baseFile);
        var baseDefinition = baseFile["definitions"]!["event_callback_base"]!.DeepClone();
        if (fileName == "event_callback_base.json")
        {
            root.Remove("$ref");
            root["allOf"] = new JsonArray(baseDefinition);
            return;
        }

        if (root["$ref"] is JsonValue reference && reference.GetValue<string>() == "event_callback_base.json#/definitions/event_callback_base")
        {
            root.Remove("$ref");
            var own = new JsonObject();
            if (root["properties"] is { } properties)
            {
                root.Remove("properties");
                own["properties"] = properties;
            }

            root["allOf"] = new JsonArray(baseDefinition, own);
        }
    }

    private static void ReplaceAny(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type == "any")
                {
                    obj.Remove("type");
                }

                foreach (var (_, child) in obj.ToList())
                {
                    ReplaceAny(child);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    ReplaceAny(child);
                }

                break;
        }
    }

    private static void CheckFormats(string file, JsonNode root, JsonNode schema, JsonNode? instance, string path, bool allowLoopbackHttp, List<string> errors, int depth)
    {
        if (instance is null || depth > 32 || schema is not JsonObject s)
        {
            return;
        }

        if (s["$ref"] is JsonValue refValue)
        {
            var (refFile, refRoot, target) = Resolve(file, root, refValue.GetValue<string>());
            CheckFormats(refFile, refRoot, target, instance, path, allowLoopbackHttp, errors, depth + 1);
        }

        foreach (var combinator in new[] { "allOf" })
        {
            if (s[combinator] is JsonArray branches)
            {
                foreach (var branch in branches)
                {
                    CheckFormats(file, root, branch!, instance, path, allowLoopbackHttp, errors, depth + 1);
                }
            }
        }

        if (s["format"] is JsonValue f && instance is JsonValue v && v.TryGetValue<string>(out var text))
        {
            var format = f.GetValue<string>();
            if (format == "https-url" && !IsHttpsUrl(text, allowLoopbackHttp))
            {
                errors.Add($"{path}: '{text}' is not an https URL (format https-url)");
            }
            else if (format == "external-id" && !IsExternalId(text))
            {
                errors.Add($"{path}: '{text}' is not a valid external id (ASCII, no surrounding whitespace)");
            }
        }

        if (s["properties"] is JsonObject properties && instance is JsonObject o)
        {
            foreach (var (name, propertySchema) in properties)
            {
                if (o[name] is { } value)
                {
                    CheckFormats(file, root, propertySchema!, value, $"{path}/{name}", allowLoopbackHttp, errors, depth + 1);
                }
            }
        }

        if (s["items"] is JsonObject items && instance is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                CheckFormats(file, root, items, array[i], $"{path}/{i}", allowLoopbackHttp, errors, depth + 1);
            }
        }
    }

    private static (string File, JsonNode Root, JsonNode Target) Resolve(string file, JsonNode root, string reference)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var refFile = hash == 0 ? file : (hash < 0 ? reference : reference[..hash]);
        var pointer = hash < 0 ? string.Empty : reference[(hash + 1)..];
        var refRoot = refFile == file ? root : JsonNode.Parse(File.ReadAllText(Path.Combine(PreparedFolder.Value, refFile)))!;
        var target = refRoot;
        foreach (var part in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            target = target[part]!;
        }

        return (refFile, refRoot, target);
    }

    public static bool IsHttpsUrl(string text, bool allowLoopbackHttp)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host) || text.Length > 511)
        {
            return false;
        }

        return uri.Scheme == Uri.UriSchemeHttps || (allowLoopbackHttp && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback);
    }

    public static bool IsExternalId(string text) =>
        text.Length is >= 1 and <= 255 && text.All(c => c is >= ' ' and <= '~') && text.Trim() == text;
}
