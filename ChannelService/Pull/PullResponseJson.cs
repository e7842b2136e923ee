using System.Buffers;
using System.Text.Json;
using ChannelService.Web;

namespace ChannelService.Pull;

/// <summary>
/// A pull's answer as JSON, written by hand with the bytes <see cref="JsonDefaults.Options"/> would write (snake_case,
/// nulls left out; PullJsonContextTests compares them). The answer of a first pull is the first JSON a fresh process
/// writes: through the serializer and MVC's formatter selection it cost hundreds of method compilations on that pull
/// (benchmarks/first-page.sh).
/// </summary>
internal static class PullResponseJson
{
    public const string ContentType = "application/json; charset=utf-8";

    public static byte[] ToUtf8(PullResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (response.ExternalResources is { } resources)
            {
                w.WriteStartArray("external_resources");
                foreach (var resource in resources)
                {
                    Write(w, resource);
                }

                w.WriteEndArray();
            }

            String(w, "state", response.State);
            if (response.MetadataNeedsUpdate is { } needsUpdate)
            {
                w.WriteBoolean("metadata_needs_update", needsUpdate);
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(Utf8JsonWriter w, ExternalResource? r)
    {
        if (r is null)
        {
            w.WriteNullValue();
            return;
        }

        w.WriteStartObject();
        String(w, "external_id", r.ExternalId);
        String(w, "message", r.Message);
        String(w, "html_message", r.HtmlMessage);
        String(w, "thread_id", r.ThreadId);
        String(w, "created_at", r.CreatedAt);
        if (r.Author is { } author)
        {
            w.WriteStartObject("author");
            String(w, "external_id", author.ExternalId);
            String(w, "name", author.Name);
            w.WriteEndObject();
        }

        if (r.InternalNote is { } internalNote)
        {
            w.WriteBoolean("internal_note", internalNote);
        }

        w.WriteBoolean("allow_channelback", r.AllowChannelback);
        if (r.Fields is { } fields)
        {
            w.WriteStartArray("fields");
            foreach (var field in fields)
            {
                if (field is null)
                {
                    w.WriteNullValue();
                    continue;
                }

                w.WriteStartObject();
                switch (field.Id)
                {
                    case null:
                        break;
                    case string text:
                        w.WriteString("id", text);
                        break;
                    case long number:
                        w.WriteNumber("id", number);
                        break;
                    case int number:
                        w.WriteNumber("id", number);
                        break;
                    default:
                        w.WritePropertyName("id");
                        JsonSerializer.Serialize(w, field.Id, field.Id.GetType(), JsonDefaults.Options);
                        break;
                }

                if (field.Value is { } value)
                {
                    w.WritePropertyName("value");
                    value.WriteTo(w, JsonDefaults.Options);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (r.DisplayInfo is { } displayInfo)
        {
            w.WriteStartArray("display_info");
            foreach (var info in displayInfo)
            {
                if (info is null)
                {
                    w.WriteNullValue();
                    continue;
                }

                w.WriteStartObject();
                String(w, "type", info.Type);
                if (info.Data is { } data)
                {
                    w.WritePropertyName("data");
                    data.WriteTo(w, JsonDefaults.Options);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (r.FileUrls is { } fileUrls)
        {
            w.WriteStartArray("file_urls");
            foreach (var url in fileUrls)
            {
                if (url is null)
                {
                    w.WriteNullValue();
                }
                else
                {
                    w.WriteStringValue(url);
                }
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    /// <summary>200 with the answer's bytes, as <c>Ok(response)</c> answered (no content negotiation: Zendesk takes JSON).</summary>
    public sealed class Result(PullResponse response) : Microsoft.AspNetCore.Mvc.IActionResult
    {
        public Task ExecuteResultAsync(Microsoft.AspNetCore.Mvc.ActionContext context)
        {
            var body = ToUtf8(response);
            var http = context.HttpContext.Response;
            http.StatusCode = StatusCodes.Status200OK;
            http.ContentType = ContentType;
            http.ContentLength = body.Length;
            return http.Body.WriteAsync(body, context.HttpContext.RequestAborted).AsTask();
        }
    }

    private static void String(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
