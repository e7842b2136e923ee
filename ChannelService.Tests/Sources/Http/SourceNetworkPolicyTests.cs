using System.Net;
using ChannelService.Sources.Http;

namespace ChannelService.Tests.Sources.Http;

public sealed class SourceNetworkPolicyTests
{
    [TestCase("8.8.8.8", AddressCategory.Public)]
    [TestCase("172.32.0.1", AddressCategory.Public)]
    [TestCase("100.128.0.1", AddressCategory.Public)]
    [TestCase("127.0.0.1", AddressCategory.Loopback)]
    [TestCase("127.255.255.254", AddressCategory.Loopback)]
    [TestCase("10.1.2.3", AddressCategory.PrivateNetwork)]
    [TestCase("172.16.0.1", AddressCategory.PrivateNetwork)]
    [TestCase("172.31.255.255", AddressCategory.PrivateNetwork)]
    [TestCase("192.168.1.1", AddressCategory.PrivateNetwork)]
    [TestCase("100.64.0.1", AddressCategory.SharedAddressSpace)]
    [TestCase("169.254.1.1", AddressCategory.LinkLocal)]
    [TestCase("169.254.169.254", AddressCategory.CloudMetadata)]
    [TestCase("100.100.100.200", AddressCategory.CloudMetadata)]
    [TestCase("168.63.129.16", AddressCategory.CloudMetadata)]
    [TestCase("fd00:ec2::254", AddressCategory.CloudMetadata)]
    [TestCase("224.0.0.1", AddressCategory.Multicast)]
    [TestCase("255.255.255.255", AddressCategory.Broadcast)]
    [TestCase("240.0.0.1", AddressCategory.Reserved)]
    [TestCase("0.0.0.0", AddressCategory.Unspecified)]
    [TestCase("0.1.2.3", AddressCategory.Reserved)]
    [TestCase("192.0.2.1", AddressCategory.Documentation)]
    [TestCase("203.0.113.9", AddressCategory.Documentation)]
    [TestCase("::", AddressCategory.Unspecified)]
    [TestCase("::1", AddressCategory.Loopback)]
    [TestCase("fe80::1", AddressCategory.LinkLocal)]
    [TestCase("fd00::1", AddressCategory.UniqueLocal)]
    [TestCase("fc00::1", AddressCategory.UniqueLocal)]
    [TestCase("ff02::1", AddressCategory.Multicast)]
    [TestCase("2001:db8::1", AddressCategory.Documentation)]
    [TestCase("2001:0:4136:e378:8000:63bf:3fff:fdd2", AddressCategory.Reserved)]
    [TestCase("4000::1", AddressCategory.Reserved)]
    [TestCase("2606:4700:4700::1111", AddressCategory.Public)]
    public void Classify_Puts_Each_Address_In_Its_Special_Purpose_Block(string address, object expected)
    {
        Assert.That(SourceNetworkPolicy.Classify(IPAddress.Parse(address)), Is.EqualTo((AddressCategory)expected));
    }

    [TestCase("::ffff:127.0.0.1", AddressCategory.Loopback)]
    [TestCase("::ffff:10.0.0.1", AddressCategory.PrivateNetwork)]
    [TestCase("::ffff:169.254.169.254", AddressCategory.CloudMetadata)]
    [TestCase("::ffff:8.8.8.8", AddressCategory.Public)]
    [TestCase("::127.0.0.1", AddressCategory.Loopback)]
    [TestCase("::192.168.0.1", AddressCategory.PrivateNetwork)]
    [TestCase("64:ff9b::7f00:1", AddressCategory.Loopback)]
    [TestCase("64:ff9b::a9fe:a9fe", AddressCategory.CloudMetadata)]
    [TestCase("64:ff9b::808:808", AddressCategory.Public)]
    [TestCase("2002:7f00:1::", AddressCategory.Loopback)]
    [TestCase("2002:c0a8:101::1", AddressCategory.PrivateNetwork)]
    public void Classify_Judges_Embedded_IPv4_As_The_IPv4_Host_It_Reaches(string address, object expected)
    {
        Assert.That(SourceNetworkPolicy.Classify(IPAddress.Parse(address)), Is.EqualTo((AddressCategory)expected));
    }

    [Test]
    public void Default_Policy_Allows_Only_Public_Addresses()
    {
        var policy = Policy(allowPrivate: false);

        Assert.Multiple(() =>
        {
            Assert.That(policy.Check(IPAddress.Parse("93.184.215.14")), Is.Null);
            Assert.That(policy.Check(IPAddress.Parse("10.0.0.1")), Is.EqualTo(AddressCategory.PrivateNetwork));
            Assert.That(policy.Check(IPAddress.Parse("::1")), Is.EqualTo(AddressCategory.Loopback));
        });
    }

    [Test]
    public void Allowing_Private_Networks_Still_Blocks_Metadata_Unspecified_And_Multicast()
    {
        var policy = Policy(allowPrivate: true);

        Assert.Multiple(() =>
        {
            Assert.That(policy.Check(IPAddress.Parse("127.0.0.1")), Is.Null);
            Assert.That(policy.Check(IPAddress.Parse("192.168.1.1")), Is.Null);
            Assert.That(policy.Check(IPAddress.Parse("fd00::1")), Is.Null);
            Assert.That(policy.Check(IPAddress.Parse("169.254.169.254")), Is.EqualTo(AddressCategory.CloudMetadata));
            Assert.That(policy.Check(IPAddress.Parse("::ffff:169.254.169.254")), Is.EqualTo(AddressCategory.CloudMetadata));
            Assert.That(policy.Check(IPAddress.Parse("fd00:ec2::254")), Is.EqualTo(AddressCategory.CloudMetadata));
            Assert.That(policy.Check(IPAddress.Parse("0.0.0.0")), Is.EqualTo(AddressCategory.Unspecified));
            Assert.That(policy.Check(IPAddress.Parse("239.1.1.1")), Is.EqualTo(AddressCategory.Multicast));
        });
    }

    [Test]
    public void Listed_Range_Opens_Only_The_Addresses_Inside_It()
    {
        var policy = Policy(allowPrivate: false, "10.20.0.0/16", "fd12:3456::/32");

        Assert.Multiple(() =>
        {
            Assert.That(policy.Check(IPAddress.Parse("10.20.5.6")), Is.Null);
            Assert.That(policy.Check(IPAddress.Parse("::ffff:10.20.5.6")), Is.Null);
            Assert.That(policy.Check(IPAddress.Parse("fd12:3456::7")), Is.Null);
            Assert.That(policy.Check(IPAddress.Parse("10.21.0.1")), Is.EqualTo(AddressCategory.PrivateNetwork));
            Assert.That(policy.Check(IPAddress.Parse("fd12:3457::7")), Is.EqualTo(AddressCategory.UniqueLocal));
        });
    }

    [Test]
    public void Metadata_Address_Opens_Only_For_A_Range_As_Narrow_As_Its_Block()
    {
        var metadata = IPAddress.Parse("169.254.169.254");

        Assert.Multiple(() =>
        {
            Assert.That(Policy(false, "0.0.0.0/0").Check(metadata), Is.EqualTo(AddressCategory.CloudMetadata));
            Assert.That(Policy(true, "128.0.0.0/1").Check(metadata), Is.EqualTo(AddressCategory.CloudMetadata));
            Assert.That(Policy(false, "169.254.0.0/16").Check(metadata), Is.Null);
            Assert.That(Policy(false, "169.254.169.254/32").Check(metadata), Is.Null);
            Assert.That(Policy(false, "0.0.0.0/0").Check(IPAddress.Parse("10.0.0.1")), Is.Null);
        });
    }

    [Test]
    public void Unspecified_Address_Stays_Blocked_Even_When_Listed()
    {
        Assert.That(Policy(true, "0.0.0.0/8").Check(IPAddress.Any), Is.EqualTo(AddressCategory.Unspecified));
    }

    [Test]
    public void EnsureAllowed_Refuses_A_Name_Whose_Addresses_Mix_Public_And_Private()
    {
        var policy = Policy(allowPrivate: false);

        var error = Assert.Throws<SourceException>(() => policy.EnsureAllowed([IPAddress.Parse("8.8.8.8"), IPAddress.Parse("10.0.0.1")]));

        Assert.That(error!.Kind, Is.EqualTo(SourceErrorKind.BlockedAddress));
        Assert.That(error.Message, Does.StartWith("That address is on a private network"));
    }

    [TestCase("10.0.0.0/8", "10.0.0.0/8")]
    [TestCase("192.168.1.10", "192.168.1.10/32")]
    [TestCase("fd00::/8", "fd00::/8")]
    [TestCase("fd00::1", "fd00::1/128")]
    [TestCase("0.0.0.0/0", "0.0.0.0/0")]
    public void TryParseNetwork_Accepts_Cidr_And_Bare_Addresses(string text, string expected)
    {
        Assert.That(SourceNetworkPolicy.TryParseNetwork(text, out var network, out _), Is.True);
        Assert.That(network.ToString(), Is.EqualTo(expected));
    }

    [TestCase("10.0.0.0/33", "prefix length must be a number from 0 to 32")]
    [TestCase("fd00::/129", "prefix length must be a number from 0 to 128")]
    [TestCase("10.0.0.0/", "prefix length")]
    [TestCase("10.0.0.0/-1", "prefix length")]
    [TestCase("10.0.0.1/8", "range starts at 10.0.0.0")]
    [TestCase("10.1/16", "four decimal numbers")]
    [TestCase("intranet", "not an IP address")]
    [TestCase("fe80::1%eth0/64", "not an IP address")]
    public void TryParseNetwork_Explains_What_Is_Wrong(string text, string expected)
    {
        Assert.That(SourceNetworkPolicy.TryParseNetwork(text, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(expected));
    }

    [Test]
    public void ParseNetworks_Names_The_Setting_And_Entry_And_Splits_Comma_Lists()
    {
        var errors = new List<string>();

        var networks = SourceNetworkPolicy.ParseNetworks(["10.0.0.0/8, 192.168.0.0/16", "10.0.0.0/33"], errors);

        Assert.That(networks.Select(n => n.ToString()), Is.EqualTo(new[] { "10.0.0.0/8", "192.168.0.0/16" }));
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.StartWith("Channel:AllowedSourceNetworks:1 '10.0.0.0/33' is not a CIDR range"));
    }

    private static SourceNetworkPolicy Policy(bool allowPrivate, params string[] networks) =>
        SourceNetworkPolicy.FromOptions(new SourceHttpOptions { AllowPrivateNetworkSources = allowPrivate, AllowedSourceNetworks = [.. networks] });
}
