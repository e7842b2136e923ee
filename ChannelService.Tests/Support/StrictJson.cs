using System.Text;
using System.Text.Json;

namespace ChannelService.Tests.Support;

/// <summary>
/// JSON as strict as Zendesk's app validator reads it: RFC 8259 only (no comments, no trailing commas, no BOM)
/// and no key twice in one object. Ruby's JSON.parse keeps the last duplicate silently; ZAS parses manifest.json
/// and requirements.json into a NoOverrideHash that refuses them (duplicate_manifest_keys, duplicate_requirements),
/// and a duplicate in a translation would hide one of the two texts.
/// </summary>
internal static class StrictJson
{
    /// <summary>Returns null when the document is valid, otherwise what is wrong with it.</summary>
    public static string? Check(byte[] utf8)
    {
        if (utf8.AsSpan().StartsWith(Encoding.UTF8.Preamble))
        {
            return "starts with a byte order mark";
        }

        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false });
        var objects = new Stack<HashSet<string>?>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        objects.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonTokenType.StartArray:
                        objects.Push(null);
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        objects.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        if (!objects.Peek()!.Add(name))
                        {
                            return $"duplicate key '{name}' at byte {reader.TokenStartIndex}";
                        }

                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            return "not valid JSON: " + ex.Message;
        }

        return null;
    }
}
