using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace ChannelService.Tests.Support;

/// <summary>
/// Validates payloads against Zendesk's official channel schemas (Fixtures/zendesk-schemas, unedited) with
/// JsonSchema.Net. The library follows the schemas' references as written (manifest.json's nested
/// <c>#/definitions/manifest/definitions/urls</c>, the event callbacks' <c>event_callback_base.json#/...</c>) and
/// checks Zendesk's two custom formats, <c>https-url</c> and <c>external-id</c>, registered here.
/// </summary>
internal static class ZendeskSchemas
{
    // The schemas carry no $id; each is registered under this made-up base so that "event_callback_base.json#/..."
    // resolves to its sibling file. Nothing is fetched from it.
    private static readonly Uri SchemaBase = new("https://schemas.zendesk.invalid/json_schemas/");

    private static readonly Lazy<IReadOnlyDictionary<string, JsonSchema>> All = new(LoadAll);
    private static readonly EvaluationOptions Strict = Evaluation(allowLoopbackHttp: false);
    private static readonly EvaluationOptions WithLoopbackHttp = Evaluation(allowLoopbackHttp: true);

    /// <summary>Returns every violation as "location: message" (empty when valid).</summary>
    /// <param name="schemaFile">e.g. <c>pull_payload.json</c>.</param>
    /// <param name="json">the payload.</param>
    /// <param name="allowLoopbackHttp">accept <c>http://</c> URLs on loopback hosts for https-url (local test runs).</param>
    public static IReadOnlyList<string> Validate(string schemaFile, string json, bool allowLoopbackHttp = false)
    {
        using var document = JsonDocument.Parse(json);
        var results = Load(schemaFile).Evaluate(document.RootElement, allowLoopbackHttp ? WithLoopbackHttp : Strict);
        if (results.IsValid)
        {
            return [];
        }

        var errors = (results.Details ?? [results])
            .Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{(d.InstanceLocation.ToString() is { Length: > 0 } at ? at : "/")}: {e.Value}"))
            .Distinct()
            .ToList();
        return errors.Count > 0 ? errors : ["/: rejected by " + schemaFile];
    }

    public static void AssertValid(string schemaFile, string json, bool allowLoopbackHttp = false)
    {
        var errors = Validate(schemaFile, json, allowLoopbackHttp);
        Assert.That(errors, Is.Empty, $"{schemaFile} rejects the payload:{Environment.NewLine}{json}");
    }

    /// <summary>Returns one schema (all are read on first use); throws at once when the fixture is missing.</summary>
    public static JsonSchema Load(string schemaFile) =>
        All.Value.TryGetValue(schemaFile, out var schema)
            ? schema
            : throw new FileNotFoundException($"No Zendesk schema {schemaFile} in {TestPaths.ZendeskSchemas}.", schemaFile);

    /// <summary>What Zendesk's <c>https-url</c> format means: an absolute https URL of at most 511 characters (spec §5).</summary>
    public static bool IsHttpsUrl(string text, bool allowLoopbackHttp)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host) || text.Length > 511)
        {
            return false;
        }

        return uri.Scheme == Uri.UriSchemeHttps || (allowLoopbackHttp && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback);
    }

    /// <summary>What Zendesk's <c>external-id</c> format means: 1-255 printable ASCII characters, no surrounding whitespace (spec §8).</summary>
    public static bool IsExternalId(string text) =>
        text.Length is >= 1 and <= 255 && text.All(c => c is >= ' ' and <= '~') && text.Trim() == text;

    private static Dictionary<string, JsonSchema> LoadAll()
    {
        // The files name no $schema and use draft-4 style "definitions". Draft 7 is the oldest dialect JsonSchema.Net
        // knows and reads them the same, with one change: the event callbacks put their own "properties" beside a root
        // "$ref" to event_callback_base.json, and both parts are meant to apply (else no type's data would ever be
        // checked), so "$ref" does not hide its siblings here.
        var options = new BuildOptions
        {
            SchemaRegistry = new SchemaRegistry(),
            Dialect = Dialect.Draft07.With([], refIgnoresSiblingKeywords: false),
        };
        var schemas = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(TestPaths.ZendeskSchemas, "*.json").Order(StringComparer.Ordinal))
        {
            var node = JsonNode.Parse(File.ReadAllText(file))!;
            ReplaceNonStandardTypes(node);
            var name = Path.GetFileName(file);
            schemas[name] = JsonSchema.Build(JsonSerializer.SerializeToElement(node), options, new Uri(SchemaBase, name));
        }

        return schemas;
    }

    /// <summary>
    /// The one place where the schemas' two non-standard type names are read (JSON Schema knows neither, and the
    /// library rightly refuses them):
    /// <list type="bullet">
    /// <item><c>"type": "any"</c> (draft 3, external_resource.json's field <c>value</c>) means no constraint, so the
    /// keyword is dropped.</item>
    /// <item><c>"type": "time"</c> (event_callback_base.json's <c>timestamp</c>) has no JSON Schema meaning. Zendesk's
    /// event callback docs show an RFC 3339 date-time such as <c>2015-09-08T22:48:09Z</c>
    /// (https://developer.zendesk.com/documentation/channel_framework/understanding-the-channel-framework/event_callbacks/,
    /// spec §7), so it is read as a string in format date-time: the strict reading, which the test events must meet.</item>
    /// </list>
    /// </summary>
    private static void ReplaceNonStandardTypes(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["type"] is JsonValue type && type.TryGetValue<string>(out var name))
                {
                    if (name == "any")
                    {
                        obj.Remove("type");
                    }
                    else if (name == "time")
                    {
                        obj["type"] = "string";
                        obj["format"] = "date-time";
                    }
                }

                foreach (var (_, child) in obj.ToList())
                {
                    ReplaceNonStandardTypes(child);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    ReplaceNonStandardTypes(child);
                }

                break;
        }
    }

    private static EvaluationOptions Evaluation(bool allowLoopbackHttp)
    {
        var formats = new FormatRegistry();
        formats.Register(new PredicateFormat("https-url", (JsonElement value, out string? error) =>
        {
            error = value.ValueKind != JsonValueKind.String || IsHttpsUrl(value.GetString()!, allowLoopbackHttp)
                ? null
                : $"'{value.GetString()}' is not an https URL (format https-url)";
            return error is null;
        }));
        formats.Register(new PredicateFormat("external-id", (JsonElement value, out string? error) =>
        {
            error = value.ValueKind != JsonValueKind.String || IsExternalId(value.GetString()!)
                ? null
                : $"'{value.GetString()}' is not a valid external id (1-255 printable ASCII, no surrounding whitespace)";
            return error is null;
        }));
        return new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true, FormatRegistry = formats };
    }
}
