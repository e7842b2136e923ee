using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Configuration;
using Microsoft.Extensions.Options;

namespace ChannelService.Manifest;

/// <summary>Renders <c>manifest/manifest.template.json</c> with absolute URLs under <c>PublicBaseUrl</c>.</summary>
public sealed class ManifestRenderer(IOptions<ChannelOptions> options, IWebHostEnvironment environment)
{
    public const string TemplatePath = "manifest/manifest.template.json";

    private readonly Lazy<string> template = new(() => File.ReadAllText(Path.Combine(environment.ContentRootPath, TemplatePath)));

    /// <summary>The service version: Zendesk compares it to decide whether its cached manifest is stale.</summary>
    public static string Version { get; } =
        typeof(ManifestRenderer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ManifestRenderer).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";

    /// <summary>Renders the manifest for <paramref name="baseUrl"/> (no trailing slash).</summary>
    public JsonObject Render(string baseUrl)
    {
        var o = options.Value;
        var values = new Dictionary<string, string?>
        {
            ["{base}"] = baseUrl.TrimEnd('/'),
            ["{name}"] = o.IntegrationName,
            ["{id}"] = o.IntegrationId,
            ["{author}"] = o.IntegrationAuthor,
            ["{version}"] = Version,
            ["{push_client_id}"] = string.IsNullOrWhiteSpace(o.PushClientId) ? null : o.PushClientId,
        };

        var root = JsonNode.Parse(template.Value)!.AsObject();
        Fill(root, values);
        return root;
    }

    /// <summary>
    /// Replaces placeholders inside string values. A string that is exactly a placeholder whose value is empty is
    /// removed with its key: Zendesk's schema gives every string minLength 1, so an unset setting is omitted.
    /// </summary>
    private static void Fill(JsonObject node, IReadOnlyDictionary<string, string?> values)
    {
        foreach (var (key, child) in node.ToList())
        {
            switch (child)
            {
                case JsonObject obj:
                    Fill(obj, values);
                    break;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    var text = value.GetValue<string>();
                    if (values.TryGetValue(text, out var whole) && whole is null)
                    {
                        node.Remove(key);
                        break;
                    }

                    foreach (var (placeholder, replacement) in values)
                    {
                        text = text.Replace(placeholder, replacement ?? string.Empty, StringComparison.Ordinal);
                    }

                    node[key] = text;
                    break;
            }
        }
    }
}
