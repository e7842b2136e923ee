using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChannelService.Accounts;

/// <summary>Thrown when the key file or the configured keys cannot be used. The message never contains key bytes.</summary>
internal sealed class KeyRingException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One master key. The bytes never leave this class: callers get keys derived per purpose (HKDF, RFC 5869), so the
/// metadata cipher key and the state MAC key differ although they come from the same master.
/// </summary>
internal sealed class KeyRingKey
{
    public const int SecretLength = 32;

    private readonly byte[] secret;
    private readonly DerivedKeyCache derived = new();

    public KeyRingKey(string id, ReadOnlySpan<byte> secret, DateTimeOffset createdAt)
    {
        if (!KeyRing.IsValidKeyId(id))
        {
            throw new KeyRingException("A key id must be 1 to 16 characters from A-Z, a-z, 0-9, '-' and '_'.");
        }

        if (secret.Length < SecretLength)
        {
            throw new KeyRingException($"Key '{id}' is too short: a key must have at least {SecretLength} bytes.");
        }

        Id = id;
        this.secret = secret.ToArray();
        CreatedAt = createdAt;
    }

    public string Id { get; }

    /// <summary>When the key was generated; <see cref="DateTimeOffset.MinValue"/> for configured keys.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>
    /// A 256-bit key for one purpose (e.g. <c>metadata/v1</c>), the same for the same master and purpose. The array is
    /// shared: hand it to a cipher, never modify it.
    /// </summary>
    public byte[] DeriveKey(string purpose) =>
        derived.GetOrAdd(purpose, p => HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, salt: [], info: Encoding.UTF8.GetBytes("ChannelService/" + p)));

    internal string ExportSecret() => Convert.ToBase64String(secret);

    public override string ToString() => $"Key {Id}";

    /// <summary>Lock-free cache: derived keys are few (one per purpose) and needed on every request.</summary>
    private sealed class DerivedKeyCache
    {
        private ImmutableDictionary<string, byte[]> items = ImmutableDictionary<string, byte[]>.Empty;

        public byte[] GetOrAdd(string key, Func<string, byte[]> create) =>
            ImmutableInterlocked.GetOrAdd(ref items, key, create);
    }
}

/// <summary>
/// The service's master keys (design §6): the newest encrypts, any of them decrypts, so rotation never strands
/// metadata Zendesk already holds. Keys come from configuration (read-only) or from <c>keys.json</c> in the data
/// folder, generated on first start. Thread-safe: readers see an immutable snapshot.
/// </summary>
internal sealed class KeyRing
{
    public const string FileName = "keys.json";

    // A key minted by another process (keys rotate, a second instance) is picked up without a restart, but an
    // attacker sending unknown key ids cannot make us read the file more than this often.
    private static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly object gate = new();
    private readonly TimeProvider time;
    private ImmutableArray<KeyRingKey> keys;
    private DateTimeOffset lastReloadCheck;

    private KeyRing(ImmutableArray<KeyRingKey> keys, string? filePath, TimeProvider time)
    {
        this.keys = keys;
        FilePath = filePath;
        this.time = time;
        lastReloadCheck = time.GetUtcNow();
    }

    /// <summary>The key file, or null when keys come from configuration.</summary>
    public string? FilePath { get; }

    public bool IsConfigured => FilePath is null;

    /// <summary>All keys, oldest first.</summary>
    public IReadOnlyList<KeyRingKey> Keys => keys;

    /// <summary>The newest key: the one that encrypts and signs.</summary>
    public KeyRingKey Current => keys[^1];

    public static bool IsValidKeyId(string? id) =>
        id is { Length: > 0 and <= 16 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static KeyRing FromConfiguredKeys(IReadOnlyList<ConfiguredKey> configured)
    {
        if (configured.Count == 0)
        {
            throw new KeyRingException("No keys are configured.");
        }

        var keys = ImmutableArray.CreateBuilder<KeyRingKey>();
        foreach (var (index, key) in configured.Index())
        {
            byte[] secret;
            try
            {
                secret = Convert.FromBase64String(key.Secret.Trim());
            }
            catch (FormatException ex)
            {
                throw new KeyRingException($"Channel:Keys:{index}:Secret is not base64 (generate one with: openssl rand -base64 32).", ex);
            }

            keys.Add(new KeyRingKey(key.Id.Trim(), secret, DateTimeOffset.MinValue));
        }

        return new KeyRing(Validated(keys.ToImmutable(), "Channel:Keys"), null, TimeProvider.System);
    }

    /// <summary>Reads the key file, creating it with one new key (mode 0600) when it does not exist.</summary>
    public static KeyRing LoadOrCreate(string filePath, TimeProvider time)
    {
        filePath = Path.GetFullPath(filePath);
        if (!File.Exists(filePath))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(filePath)!);
            try
            {
                // CreateNew: when two instances start together on an empty folder, one wins and the other reads its key.
                WriteFile(filePath, [Generate(time, [])], FileMode.CreateNew);
            }
            catch (IOException) when (File.Exists(filePath))
            {
            }
        }

        return new KeyRing(ReadFile(filePath), filePath, time);
    }

    public bool TryGetKey(string id, [NotNullWhen(true)] out KeyRingKey? key)
    {
        key = Find(keys, id);
        if (key is null && FilePath is not null && ReloadDue())
        {
            key = Find(Reload(), id);
        }

        return key is not null;
    }

    /// <summary>
    /// Adds a new newest key and keeps the old ones so metadata already in Zendesk still decrypts. Re-reads the file
    /// first, so a rotation by another process is not undone.
    /// </summary>
    public KeyRingKey Rotate()
    {
        if (FilePath is null)
        {
            throw new KeyRingException("Keys come from configuration (Channel:Keys): add a new key at the end of that list instead of rotating.");
        }

        lock (gate)
        {
            var current = ReadFile(FilePath);
            var added = Generate(time, current);
            var next = current.Add(added);
            WriteFile(FilePath, next, FileMode.Create);
            keys = next;
            return added;
        }
    }

    private static KeyRingKey? Find(ImmutableArray<KeyRingKey> keys, string id)
    {
        foreach (var key in keys)
        {
            if (key.Id == id)
            {
                return key;
            }
        }

        return null;
    }

    private bool ReloadDue()
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (now - lastReloadCheck < ReloadInterval)
            {
                return false;
            }

            lastReloadCheck = now;
            return true;
        }
    }

    private ImmutableArray<KeyRingKey> Reload()
    {
        lock (gate)
        {
            try
            {
                var fresh = ReadFile(FilePath!);
                if (fresh.Length > keys.Length)
                {
                    keys = fresh;
                }
            }
            catch (KeyRingException)
            {
                // A half-visible or broken file must not take down the keys already in memory.
            }

            return keys;
        }
    }

    private static KeyRingKey Generate(TimeProvider time, ImmutableArray<KeyRingKey> existing)
    {
        string id;
        do
        {
            id = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz234567", 8);
        }
        while (Find(existing, id) is not null);

        return new KeyRingKey(id, RandomNumberGenerator.GetBytes(KeyRingKey.SecretLength), time.GetUtcNow());
    }

    private static ImmutableArray<KeyRingKey> ReadFile(string filePath)
    {
        KeyFile? file;
        try
        {
            file = JsonSerializer.Deserialize<KeyFile>(File.ReadAllBytes(filePath));
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new KeyRingException($"Cannot read the key file {filePath}: {ex.GetType().Name}. Restore it from backup; without it no existing account metadata decrypts.", ex);
        }

        if (file is not { Version: 1, Keys.Count: > 0 })
        {
            throw new KeyRingException($"The key file {filePath} has no keys or an unknown version.");
        }

        var keys = ImmutableArray.CreateBuilder<KeyRingKey>();
        foreach (var entry in file.Keys)
        {
            byte[] secret;
            try
            {
                secret = Convert.FromBase64String(entry.Secret ?? "");
            }
            catch (FormatException ex)
            {
                throw new KeyRingException($"The key file {filePath} holds a key that is not base64.", ex);
            }

            keys.Add(new KeyRingKey(entry.Id ?? "", secret, entry.Created));
        }

        return Validated(keys.ToImmutable(), filePath);
    }

    private static ImmutableArray<KeyRingKey> Validated(ImmutableArray<KeyRingKey> keys, string source)
    {
        var duplicate = keys.GroupBy(k => k.Id).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? keys : throw new KeyRingException($"Key id '{duplicate.Key}' appears more than once in {source}.");
    }

    private static void WriteFile(string filePath, IReadOnlyList<KeyRingKey> keys, FileMode mode)
    {
        var file = new KeyFile
        {
            Version = 1,
            Keys = keys.Select(k => new KeyFileEntry { Id = k.Id, Created = k.CreatedAt, Secret = k.ExportSecret() }).ToList(),
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(file, Json);

        // Written beside the target and renamed over it, so a crash never leaves a half-written key file; the
        // temporary file is created 0600 from the start so the keys are never readable by others, not even briefly.
        var temporary = $"{filePath}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            // Without overwrite the move fails when the file appeared meanwhile: the caller then reads that one.
            File.Move(temporary, filePath, overwrite: mode != FileMode.CreateNew);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private sealed class KeyFile
    {
        [JsonPropertyName("version")]
        public int Version { get; set; }

        [JsonPropertyName("keys")]
        public List<KeyFileEntry> Keys { get; set; } = [];
    }

    private sealed class KeyFileEntry
    {
        [JsonPropertyName("id")]
        public string? Id { get; set; }

        [JsonPropertyName("created")]
        public DateTimeOffset Created { get; set; }

        [JsonPropertyName("secret")]
        public string? Secret { get; set; }
    }
}
