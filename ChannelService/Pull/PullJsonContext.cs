using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ChannelService.Tickets;

namespace ChannelService.Pull;

/// <summary>
/// Compile-time JSON contracts of what every pull writes and reads: the answer, and each ticket's snapshot (written
/// by hand, <see cref="ItemSnapshot.ToJson"/>; read back with this contract on later pulls). Without them the
/// first pull of a fresh process builds both contracts by reflection and emits and compiles an accessor per
/// property (benchmarks/first-page.sh); with them, and the service published precompiled, that work is gone. Only
/// the contracts come from here (metadata mode): names, null handling and converters stay those of the options that
/// use it, so the bytes are the same as before, and any other type is still described by reflection
/// (<see cref="With"/>).
/// </summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(PullResponse))]
[JsonSerializable(typeof(ItemSnapshot))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(string))]
internal sealed partial class PullJsonContext : JsonSerializerContext
{
    /// <summary>These contracts first, then whatever <paramref name="options"/> resolved before (reflection when nothing was set).</summary>
    public static JsonSerializerOptions With(JsonSerializerOptions options)
    {
        options.TypeInfoResolver = JsonTypeInfoResolver.Combine(Default, options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver());
        return options;
    }
}
