using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ChannelService.Sources.Http;

/// <summary>What kind of address a source resolved to; anything but <see cref="Public"/> is blocked by default.</summary>
internal enum AddressCategory
{
    Public,
    Loopback,
    PrivateNetwork,
    SharedAddressSpace,
    LinkLocal,
    UniqueLocal,
    CloudMetadata,
    Multicast,
    Broadcast,
    Unspecified,
    Reserved,
    Documentation,
}

/// <summary>
/// The SSRF policy: which IP addresses a source may connect to. Applied to literal IPs in URLs before any
/// connection, and to every address DNS returns, at connect time (so DNS rebinding cannot slip past it).
/// </summary>
internal sealed partial class SourceNetworkPolicy
{
    private readonly IReadOnlyList<IPNetwork> allowedNetworks;

    public SourceNetworkPolicy(bool allowPrivateNetworks, IReadOnlyList<IPNetwork> allowedNetworks)
    {
        AllowPrivateNetworks = allowPrivateNetworks;
        this.allowedNetworks = allowedNetworks;
    }

    public bool AllowPrivateNetworks { get; }

    /// <summary>Builds the policy from options; throws <see cref="ArgumentException"/> naming each bad CIDR entry.</summary>
    public static SourceNetworkPolicy FromOptions(SourceHttpOptions options)
    {
        var errors = new List<string>();
        var networks = ParseNetworks(options.AllowedSourceNetworks, errors);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        }

        return new SourceNetworkPolicy(options.AllowPrivateNetworkSources, networks);
    }

    /// <summary>The category that blocks <paramref name="address"/>, or null when it may be contacted.</summary>
    public AddressCategory? Check(IPAddress address)
    {
        var category = Classify(address);
        if (category == AddressCategory.Public)
        {
            return null;
        }

        // Never meaningful for an outbound TCP connection; 0.0.0.0 and :: even reach this machine on Linux.
        if (category is AddressCategory.Unspecified or AddressCategory.Multicast or AddressCategory.Broadcast)
        {
            return category;
        }

        var effective = Unwrap(address);
        foreach (var network in allowedNetworks)
        {
            if (!network.Contains(address) && !network.Contains(effective))
            {
                continue;
            }

            if (category != AddressCategory.CloudMetadata || network.PrefixLength >= MetadataBlockPrefix(effective))
            {
                return null;
            }
        }

        // Metadata services hand out cloud credentials: the classic SSRF prize. Only an explicit range opens them.
        return AllowPrivateNetworks && category != AddressCategory.CloudMetadata ? null : category;
    }

    /// <summary>Throws <see cref="SourceErrorKind.BlockedAddress"/> unless every address is allowed.</summary>
    /// <remarks>
    /// A name that mixes public and private addresses is refused as a whole rather than filtered: which one the
    /// connection would use is the attacker's choice, and such records are the usual DNS-rebinding set-up.
    /// </remarks>
    public void EnsureAllowed(IEnumerable<IPAddress> addresses)
    {
        foreach (var address in addresses)
        {
            if (Check(address) is { } category)
            {
                throw Blocked(category);
            }
        }
    }

    public static SourceException Blocked(AddressCategory category)
    {
        var what = category switch
        {
            AddressCategory.Loopback => "That address points back at this server (loopback)",
            AddressCategory.PrivateNetwork => "That address is on a private network",
            AddressCategory.SharedAddressSpace => "That address is on a carrier-grade NAT (shared, non-public) network",
            AddressCategory.LinkLocal => "That address is link-local (only valid on the local network segment)",
            AddressCategory.UniqueLocal => "That address is on a private (unique-local IPv6) network",
            AddressCategory.CloudMetadata => "That address belongs to a cloud metadata service",
            AddressCategory.Multicast => "That address is a multicast address",
            AddressCategory.Broadcast => "That address is a broadcast address",
            AddressCategory.Unspecified => "That address is unspecified (0.0.0.0 or ::)",
            AddressCategory.Documentation => "That address is reserved for documentation examples",
            _ => "That address is reserved and not publicly routable",
        };
        // Metadata services stay blocked whatever Channel:AllowedSourceNetworks says (they hand out the host's own
        // credentials), so their refusal does not suggest it.
        var hint = category switch
        {
            AddressCategory.Unspecified or AddressCategory.Multicast or AddressCategory.Broadcast => ".",
            AddressCategory.CloudMetadata => ", which this service never contacts.",
            _ => ", which this service does not contact. An operator can allow such ranges with Channel:AllowedSourceNetworks.",
        };
        return new SourceException(SourceErrorKind.BlockedAddress, what + hint);
    }

    /// <summary>
    /// IPv4 embedded in IPv6 by mapping (::ffff:a.b.c.d), the deprecated compatible form (::a.b.c.d),
    /// NAT64 (64:ff9b::/96, RFC 6052) and 6to4 (2002::/16, RFC 3056) reaches that IPv4 host, so it is judged as one.
    /// </summary>
    public static IPAddress Unwrap(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        if (b[..12].IndexOfAnyExcept((byte)0) < 0 && (b[12] | b[13] | b[14]) != 0)
        {
            return new IPAddress(b[12..]);
        }

        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4..12].IndexOfAnyExcept((byte)0) < 0)
        {
            return new IPAddress(b[12..]);
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return new IPAddress(b[2..6]);
        }

        return address;
    }

    /// <summary>The address to dial: IPv4-mapped becomes plain IPv4 so the socket family matches.</summary>
    public static IPAddress UnwrapMapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public static AddressCategory Classify(IPAddress address)
    {
        var effective = Unwrap(address);
        if (MetadataBlockPrefix(effective) > 0)
        {
            return AddressCategory.CloudMetadata;
        }

        foreach (var (network, category) in effective.AddressFamily == AddressFamily.InterNetwork ? V4Ranges : V6Ranges)
        {
            if (network.Contains(effective))
            {
                return category;
            }
        }

        // Only 2000::/3 is allocated for global unicast (RFC 4291 section 2.4); the rest is reserved.
        if (effective.AddressFamily == AddressFamily.InterNetworkV6 && !GlobalUnicast.Contains(effective))
        {
            return AddressCategory.Reserved;
        }

        return AddressCategory.Public;
    }

    /// <summary>Parses CIDR entries, adding a clear message to <paramref name="errors"/> for each bad one.</summary>
    public static IReadOnlyList<IPNetwork> ParseNetworks(IEnumerable<string>? entries, List<string> errors)
    {
        var networks = new List<IPNetwork>();
        var index = 0;
        foreach (var entry in entries ?? [])
        {
            foreach (var part in (entry ?? string.Empty).Split([',', ';', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (TryParseNetwork(part, out var network, out var error))
                {
                    networks.Add(network);
                }
                else
                {
                    errors.Add($"{SourceHttpOptions.SectionName}:{nameof(SourceHttpOptions.AllowedSourceNetworks)}:{index} '{part}' is not a CIDR range: {error}. Write ranges like 10.20.0.0/16 or fd12:3456::/48.");
                }
            }

            index++;
        }

        return networks;
    }

    public static bool TryParseNetwork(string text, out IPNetwork network, out string error)
    {
        network = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (addressText.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(addressText, out var address))
        {
            error = "the address part is not an IP address";
            return false;
        }

        // IPAddress.TryParse accepts inet_aton shorthands ("10.1" is 10.0.0.1); in a security setting that is a typo.
        if (address.AddressFamily == AddressFamily.InterNetwork && !DottedQuad().IsMatch(addressText))
        {
            error = "write IPv4 addresses as four decimal numbers";
            return false;
        }

        var maxPrefix = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = maxPrefix;
        if (slash >= 0)
        {
            var prefixText = text[(slash + 1)..];
            if (prefixText.Length is 0 or > 3 || !prefixText.All(char.IsAsciiDigit)
                || !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > maxPrefix)
            {
                error = $"the prefix length must be a number from 0 to {maxPrefix}";
                return false;
            }
        }

        var masked = Mask(address, prefix);
        if (!masked.Equals(address))
        {
            error = $"it has bits set after the /{prefix} prefix; the range starts at {masked} (write {masked}/{prefix}, or /{maxPrefix} for one host)";
            return false;
        }

        network = new IPNetwork(address, prefix);
        error = string.Empty;
        return true;
    }

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - keep));
        }

        return new IPAddress(bytes);
    }

    /// <summary>
    /// The prefix of the special block a metadata address lives in (0 when it is none); a listed range must be
    /// at least this narrow to open it, so a catch-all such as 0.0.0.0/0 never does.
    /// </summary>
    private static int MetadataBlockPrefix(IPAddress effective)
    {
        foreach (var (metadata, prefix) in MetadataAddresses)
        {
            if (metadata.Equals(effective))
            {
                return prefix;
            }
        }

        return 0;
    }

    // AWS, GCP, Azure, OCI, OpenStack: 169.254.169.254; AWS IPv6 (Nitro): fd00:ec2::254;
    // Alibaba Cloud: 100.100.100.200; Azure WireServer (host agent, hands out VM secrets): 168.63.129.16.
    private static readonly (IPAddress Address, int BlockPrefix)[] MetadataAddresses =
    [
        (IPAddress.Parse("169.254.169.254"), 16),
        (IPAddress.Parse("100.100.100.200"), 10),
        (IPAddress.Parse("168.63.129.16"), 16),
        (IPAddress.Parse("fd00:ec2::254"), 7),
    ];

    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");

    // IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates); order matters only for 0.0.0.0.
    private static readonly (IPNetwork, AddressCategory)[] V4Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/32"), AddressCategory.Unspecified),
        (IPNetwork.Parse("0.0.0.0/8"), AddressCategory.Reserved),
        (IPNetwork.Parse("10.0.0.0/8"), AddressCategory.PrivateNetwork),
        (IPNetwork.Parse("100.64.0.0/10"), AddressCategory.SharedAddressSpace),
        (IPNetwork.Parse("127.0.0.0/8"), AddressCategory.Loopback),
        (IPNetwork.Parse("169.254.0.0/16"), AddressCategory.LinkLocal),
        (IPNetwork.Parse("172.16.0.0/12"), AddressCategory.PrivateNetwork),
        (IPNetwork.Parse("192.0.0.0/24"), AddressCategory.Reserved),
        (IPNetwork.Parse("192.0.2.0/24"), AddressCategory.Documentation),
        (IPNetwork.Parse("192.88.99.0/24"), AddressCategory.Reserved),
        (IPNetwork.Parse("192.168.0.0/16"), AddressCategory.PrivateNetwork),
        (IPNetwork.Parse("198.18.0.0/15"), AddressCategory.Reserved),
        (IPNetwork.Parse("198.51.100.0/24"), AddressCategory.Documentation),
        (IPNetwork.Parse("203.0.113.0/24"), AddressCategory.Documentation),
        (IPNetwork.Parse("224.0.0.0/4"), AddressCategory.Multicast),
        (IPNetwork.Parse("255.255.255.255/32"), AddressCategory.Broadcast),
        (IPNetwork.Parse("240.0.0.0/4"), AddressCategory.Reserved),
    ];

    // IANA IPv6 Special-Purpose Address Registry; embedded-IPv4 forms were unwrapped before this table is used.
    private static readonly (IPNetwork, AddressCategory)[] V6Ranges =
    [
        (IPNetwork.Parse("::/128"), AddressCategory.Unspecified),
        (IPNetwork.Parse("::1/128"), AddressCategory.Loopback),
        (IPNetwork.Parse("64:ff9b:1::/48"), AddressCategory.PrivateNetwork),
        (IPNetwork.Parse("100::/64"), AddressCategory.Reserved),
        (IPNetwork.Parse("2001::/32"), AddressCategory.Reserved),
        (IPNetwork.Parse("2001:2::/48"), AddressCategory.Reserved),
        (IPNetwork.Parse("2001:10::/28"), AddressCategory.Reserved),
        (IPNetwork.Parse("2001:20::/28"), AddressCategory.Reserved),
        (IPNetwork.Parse("2001:db8::/32"), AddressCategory.Documentation),
        (IPNetwork.Parse("3fff::/20"), AddressCategory.Documentation),
        (IPNetwork.Parse("5f00::/16"), AddressCategory.Reserved),
        (IPNetwork.Parse("fc00::/7"), AddressCategory.UniqueLocal),
        (IPNetwork.Parse("fe80::/10"), AddressCategory.LinkLocal),
        (IPNetwork.Parse("fec0::/10"), AddressCategory.PrivateNetwork),
        (IPNetwork.Parse("ff00::/8"), AddressCategory.Multicast),
    ];

    [GeneratedRegex(@"^\d{1,3}(\.\d{1,3}){3}$")]
    private static partial Regex DottedQuad();
}
