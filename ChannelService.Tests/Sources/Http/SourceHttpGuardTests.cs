using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ChannelService.Sources.Http;

namespace ChannelService.Tests.Sources.Http;

/// <summary>
/// The SSRF guard refuses before connecting: a real server listens on loopback and counts connections, and the
/// client's socket connector records every endpoint it is asked to dial; both must stay at zero.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The server is disposed in [TearDown].")]
public sealed class SourceHttpGuardTests
{
    private LoopbackServer server = null!;
    private ConcurrentQueue<IPEndPoint> dialled = null!;
    private ConcurrentQueue<string> lookups = null!;

    [SetUp]
    public void StartServer()
    {
        server = new LoopbackServer((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "reached", ct));
        dialled = new ConcurrentQueue<IPEndPoint>();
        lookups = new ConcurrentQueue<string>();
    }

    [TearDown]
    public async Task StopServer() => await server.DisposeAsync();

    [TestCase("127.0.0.1", "points back at this server (loopback)")]
    [TestCase("localhost", "loopback")]
    [TestCase("LOCALHOST.", "loopback")]
    [TestCase("feeds.localhost", "loopback")]
    [TestCase("10.0.0.1", "is on a private network")]
    [TestCase("172.16.0.1", "is on a private network")]
    [TestCase("192.168.1.1", "is on a private network")]
    [TestCase("100.64.0.1", "carrier-grade NAT")]
    [TestCase("169.254.169.254", "belongs to a cloud metadata service")]
    [TestCase("169.254.10.1", "link-local")]
    [TestCase("[::1]", "loopback")]
    [TestCase("[fd00::1]", "unique-local")]
    [TestCase("[fe80::1]", "link-local")]
    [TestCase("[::ffff:127.0.0.1]", "loopback")]
    [TestCase("[::ffff:a9fe:a9fe]", "cloud metadata")]
    [TestCase("[64:ff9b::7f00:1]", "loopback")]
    [TestCase("0.0.0.0", "unspecified")]
    [TestCase("[::]", "unspecified")]
    [TestCase("0", "unspecified")]
    [TestCase("\uff11\uff12\uff17.\uff10.\uff10.\uff11", "loopback")]
    [TestCase("2130706433", "loopback")]
    [TestCase("0x7f000001", "loopback")]
    [TestCase("0177.0.0.1", "loopback")]
    [TestCase("127.1", "loopback")]
    [TestCase("0x7f.1", "loopback")]
    [TestCase("calendar.example.com", "loopback")]
    public async Task Guard_Refuses_Without_Connecting(string host, string reason)
    {
        using var client = Client(new SourceHttpOptions());

        var error = await Refused(client, new Uri($"http://{host}:{server.Port}/feed.ics"));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.BlockedAddress));
        Assert.That(error.Message, Does.Contain(reason));
        if (reason.Contains("cloud metadata", StringComparison.Ordinal))
        {
            // Metadata services stay blocked whatever the setting says: the message must not suggest it.
            Assert.That(error.Message, Does.Not.Contain("AllowedSourceNetworks").And.EndWith("which this service never contacts."));
        }
        else
        {
            Assert.That(error.Message, Does.Contain("Channel:AllowedSourceNetworks").Or.Contain("unspecified"));
        }

        AssertNothingConnected();
    }

    [Test]
    public async Task Guard_Checks_Dns_Names_After_Resolving_Them()
    {
        using var client = Client(new SourceHttpOptions());

        await Refused(client, new Uri($"http://calendar.example.com:{server.Port}/"));

        Assert.That(lookups, Is.EqualTo(new[] { "calendar.example.com" }));
        AssertNothingConnected();
    }

    [Test]
    public async Task Guard_Refuses_Metadata_Service_Even_When_Private_Networks_Are_Allowed()
    {
        using var client = Client(new SourceHttpOptions { AllowPrivateNetworkSources = true });

        var error = await Refused(client, new Uri("http://169.254.169.254/latest/meta-data/"));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.BlockedAddress));
        Assert.That(error.Message, Is.EqualTo("That address belongs to a cloud metadata service, which this service never contacts."));
        Assert.That(dialled, Is.Empty);
    }

    [Test]
    public async Task Guard_Refuses_A_Name_That_Resolves_To_An_Allowed_And_A_Blocked_Address()
    {
        using var client = Client(new SourceHttpOptions { AllowedSourceNetworks = ["127.0.0.1/32"] });

        var error = await Refused(client, new Uri($"http://mixed.example:{server.Port}/"));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.BlockedAddress));
        AssertNothingConnected();
    }

    [TestCase("127.0.0.1")]
    [TestCase("calendar.example.com")]
    [TestCase("localhost")]
    public async Task Same_Addresses_Are_Reached_When_Private_Networks_Are_Allowed(string host)
    {
        using var client = Client(new SourceHttpOptions { AllowPrivateNetworkSources = true });

        var response = await client.GetAsync(new Uri($"http://{host}:{server.Port}/feed.ics"));

        Assert.That(response.StatusCode, Is.EqualTo(200));
        Assert.That(server.Connections, Is.EqualTo(1));
        Assert.That(dialled.First().Port, Is.EqualTo(server.Port));
    }

    [Test]
    public async Task Listed_Network_Lets_One_Loopback_Address_Through()
    {
        using var client = Client(new SourceHttpOptions { AllowedSourceNetworks = ["127.0.0.1/32"] });

        var response = await client.GetAsync(new Uri($"http://public.example:{server.Port}/feed.ics"));

        Assert.That(response.StatusCode, Is.EqualTo(200));
        Assert.That(server.Connections, Is.EqualTo(1));
    }

    [Test]
    public async Task Redirect_Hop_Is_Checked_Again_Before_Connecting()
    {
        // public.example resolves to 127.0.0.1, the one address the policy allows; it redirects to 127.0.0.2,
        // where a second server listens. Only a re-check of the hop stops the client reaching it.
        await using var target = new LoopbackServer((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "secret", ct), IPAddress.Parse("127.0.0.2"));
        await using var entry = new LoopbackServer((_, stream, ct) => LoopbackServer.WriteAsync(stream, 302, "", ct, ("Location", target.Url("/secret").AbsoluteUri)));
        using var client = Client(new SourceHttpOptions { AllowedSourceNetworks = ["127.0.0.1/32"] });

        var error = await Refused(client, new Uri($"http://public.example:{entry.Port}/feed.ics"));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.BlockedAddress));
        Assert.That(error.Message, Does.Contain("loopback"));
        Assert.That(entry.Requests, Has.Count.EqualTo(1));
        Assert.That(target.Connections, Is.Zero);
        Assert.That(dialled.Select(e => e.Address), Is.EqualTo(new[] { IPAddress.Loopback }));
    }

    [Test]
    public async Task Redirect_To_A_Name_Resolving_To_A_Blocked_Address_Is_Refused_At_Connect_Time()
    {
        await using var target = new LoopbackServer((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "secret", ct), IPAddress.Parse("127.0.0.2"));
        await using var entry = new LoopbackServer((_, stream, ct) => LoopbackServer.WriteAsync(stream, 302, "", ct, ("Location", $"http://internal.example:{target.Port}/secret")));
        using var client = Client(new SourceHttpOptions { AllowedSourceNetworks = ["127.0.0.1/32"] });

        var error = await Refused(client, new Uri($"http://public.example:{entry.Port}/feed.ics"));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.BlockedAddress));
        Assert.That(lookups, Does.Contain("internal.example"));
        Assert.That(target.Connections, Is.Zero);
    }

    [Test]
    public async Task Redirect_Is_Followed_When_The_Hop_Is_Allowed_Too()
    {
        // The control for the two tests above: the same set-up reaches the second server once its address is listed.
        await using var target = new LoopbackServer((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "secret", ct), IPAddress.Parse("127.0.0.2"));
        await using var entry = new LoopbackServer((_, stream, ct) => LoopbackServer.WriteAsync(stream, 302, "", ct, ("Location", target.Url("/secret").AbsoluteUri)));
        using var client = Client(new SourceHttpOptions { AllowedSourceNetworks = ["127.0.0.1/32", "127.0.0.2/32"] });

        var response = await client.GetAsync(new Uri($"http://public.example:{entry.Port}/feed.ics"));

        Assert.That(response.StatusCode, Is.EqualTo(200));
        Assert.That(response.Url, Is.EqualTo(target.Url("/secret")));
        Assert.That(target.Connections, Is.EqualTo(1));
    }

    [Test]
    public async Task Error_Messages_Never_Contain_Credentials_Or_The_Url()
    {
        using var client = Client(new SourceHttpOptions());

        var error = await Refused(client, new Uri($"http://alice:s3cret@10.0.0.1:{server.Port}/feed.ics?token=abc123"));

        Assert.That(error.Message, Does.Not.Contain("s3cret").And.Not.Contain("alice").And.Not.Contain("abc123").And.Not.Contain("10.0.0.1"));
    }

    private static async Task<SourceException> Refused(SourceHttpClient client, Uri url)
    {
        try
        {
            await client.GetAsync(url);
        }
        catch (SourceException e)
        {
            return e;
        }

        Assert.Fail("The request was not refused.");
        throw new UnreachableException();
    }

    private void AssertNothingConnected()
    {
        Assert.That(dialled, Is.Empty, "the client dialled an address");
        Assert.That(server.Connections, Is.Zero, "the loopback server saw a connection");
    }

    private SourceHttpClient Client(SourceHttpOptions options) => new(
        options,
        resolver: (host, _) =>
        {
            lookups.Enqueue(host);
            return host switch
            {
                "calendar.example.com" or "public.example" => Task.FromResult(new[] { IPAddress.Loopback }),
                "internal.example" => Task.FromResult(new[] { IPAddress.Parse("127.0.0.2") }),
                "mixed.example" => Task.FromResult(new[] { IPAddress.Loopback, IPAddress.Parse("10.0.0.1") }),
                _ => throw new SocketException((int)SocketError.HostNotFound),
            };
        },
        connect: (endPoint, ct) =>
        {
            dialled.Enqueue(endPoint);
            return GuardedConnector.ConnectSocketAsync(endPoint, ct);
        });
}
