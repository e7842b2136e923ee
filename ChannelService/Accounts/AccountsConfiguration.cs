namespace ChannelService.Accounts;

/// <summary>One key from configuration (<c>Channel:Keys:0:Id</c>, <c>Channel:Keys:0:Secret</c> as base64).</summary>
internal sealed record ConfiguredKey(string Id, string Secret);

/// <summary>
/// The few settings this folder needs, read straight from <see cref="IConfiguration"/> so the command line works
/// without the web host. The shared options class may take this over; the rules stay here.
/// </summary>
internal static class AccountsConfiguration
{
    public const string Section = "Channel";

    public const string DefaultDataDirectory = "./data";

    /// <summary>
    /// <c>Channel:DataDirectory</c> as an absolute path. A relative path is resolved against the current working
    /// directory, as shells and operators read <c>./data</c>; not against the assembly folder, which deployments
    /// replace (and <c>dotnet clean</c> wipes), taking the keys with it. Services started by systemd should set
    /// <c>WorkingDirectory=</c> or an absolute <c>DataDirectory</c>.
    /// </summary>
    public static string DataDirectory(IConfiguration configuration)
    {
        var configured = configuration[$"{Section}:DataDirectory"];
        return Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? DefaultDataDirectory : configured.Trim());
    }

    /// <summary>
    /// The key ring file: <c>Channel:KeyFile</c> when set (several instances given one file, README "Scale-out": a key
    /// rotated by one is read by the others when they meet it), else <c>{DataDirectory}/keys.json</c>.
    /// </summary>
    public static string KeyFile(IConfiguration configuration)
    {
        var configured = configuration[$"{Section}:KeyFile"];
        return string.IsNullOrWhiteSpace(configured) ? Path.Combine(DataDirectory(configuration), KeyRing.FileName) : Path.GetFullPath(configured.Trim());
    }

    /// <summary><c>Channel:Keys</c>, in configuration order (the last one is the newest and encrypts).</summary>
    public static IReadOnlyList<ConfiguredKey> Keys(IConfiguration configuration) =>
        configuration.GetSection($"{Section}:Keys").GetChildren()
            .OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue)
            .Select(c => new ConfiguredKey(c["Id"] ?? "", c["Secret"] ?? ""))
            .ToArray();

    /// <summary>
    /// The key ring the service and the command line use: configured keys, else <c>{DataDirectory}/keys.json</c>,
    /// generated when missing unless <paramref name="create"/> is false (commands that only read must not mint a key
    /// in a mistyped folder and then report every metadata as foreign).
    /// </summary>
    public static KeyRing LoadKeyRing(IConfiguration configuration, TimeProvider time, bool create = true)
    {
        var configured = Keys(configuration);
        if (configured.Count > 0)
        {
            return KeyRing.FromConfiguredKeys(configured);
        }

        var file = KeyFile(configuration);
        return create || File.Exists(file)
            ? KeyRing.LoadOrCreate(file, time)
            : throw new KeyRingException($"No key file at {file} and no keys configured (Channel:Keys). Check Channel:DataDirectory.");
    }
}
