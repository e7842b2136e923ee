using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ChannelService.Sources.Http;

namespace ChannelService.Tests.Sources.Http;

/// <summary>The client against real loopback servers, with private networks allowed as in development.</summary>
public sealed class SourceHttpClientTests
{
    private const string Calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
    private readonly List<IAsyncDisposable> servers = [];

    [TearDown]
    public async Task StopServers()
    {
        foreach (var server in servers)
        {
            await server.DisposeAsync();
        }

        servers.Clear();
    }

    [Test]
    public async Task Conditional_Get_With_ETag_Returns_Not_Modified()
    {
        var server = Serve((request, stream, ct) => request.Header("If-None-Match") == "\"v1\""
            ? LoopbackServer.WriteAsync(stream, 304, "", ct, ("ETag", "\"v1\""))
            : LoopbackServer.WriteAsync(stream, 200, Calendar, ct, ("ETag", "\"v1\""), ("Content-Type", "text/calendar")));
        using var client = Client();

        var first = await client.GetAsync(server.Url("/feed.ics"));
        var second = await client.GetAsync(server.Url("/feed.ics"), ifNoneMatch: first.ETag);

        Assert.That(first.StatusCode, Is.EqualTo(200));
        Assert.That(first.ETag, Is.EqualTo("\"v1\""));
        Assert.That(Encoding.UTF8.GetString(first.Body), Is.EqualTo(Calendar));
        Assert.That(second.NotModified, Is.True);
        Assert.That(second.Body, Is.Empty);
        Assert.That(second.ETag, Is.EqualTo("\"v1\""));
        Assert.That(server.Requests[1].Header("If-None-Match"), Is.EqualTo("\"v1\""));
    }

    [Test]
    public async Task Conditional_Get_With_Last_Modified_Returns_Not_Modified()
    {
        var lastModified = new DateTimeOffset(2026, 3, 1, 12, 30, 0, TimeSpan.Zero);
        var server = Serve((request, stream, ct) => request.Header("If-Modified-Since") == lastModified.ToString("R")
            ? LoopbackServer.WriteAsync(stream, 304, "", ct)
            : LoopbackServer.WriteAsync(stream, 200, Calendar, ct, ("Last-Modified", lastModified.ToString("R"))));
        using var client = Client();

        var first = await client.GetAsync(server.Url());
        var second = await client.GetAsync(server.Url(), ifModifiedSince: first.LastModified);

        Assert.That(first.LastModified, Is.EqualTo(lastModified));
        Assert.That(first.ETag, Is.Null);
        Assert.That(second.NotModified, Is.True);
        Assert.That(server.Requests[1].Header("If-Modified-Since"), Is.EqualTo("Sun, 01 Mar 2026 12:30:00 GMT"));
    }

    [Test]
    public async Task Server_Without_Validators_Gets_Plain_Requests_And_Full_Answers()
    {
        var server = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, Calendar, ct));
        using var client = Client();

        var first = await client.GetAsync(server.Url());
        var second = await client.GetAsync(server.Url(), ifNoneMatch: first.ETag, ifModifiedSince: first.LastModified);

        Assert.That(first.ETag, Is.Null);
        Assert.That(first.LastModified, Is.Null);
        Assert.That(second.NotModified, Is.False);
        Assert.That(Encoding.UTF8.GetString(second.Body), Is.EqualTo(Calendar));
        Assert.That(server.Requests.Select(r => r.Header("If-None-Match") ?? r.Header("If-Modified-Since")), Is.All.Null);
    }

    [TestCase("gzip")]
    [TestCase("deflate")]
    [TestCase("raw-deflate")]
    [TestCase("br")]
    public async Task Compressed_Body_Is_Decompressed(string coding)
    {
        var compressed = Compress(Encoding.UTF8.GetBytes(Calendar), coding);
        var server = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, compressed, ct, ("Content-Encoding", coding == "raw-deflate" ? "deflate" : coding)));
        using var client = Client();

        var response = await client.GetAsync(server.Url());

        Assert.That(Encoding.UTF8.GetString(response.Body), Is.EqualTo(Calendar));
        Assert.That(server.Requests[0].Header("Accept-Encoding"), Is.EqualTo("gzip, deflate, br"));
    }

    [Test]
    public async Task Charset_From_Content_Type_Is_Returned()
    {
        var latin1 = Encoding.Latin1.GetBytes("SUMMARY:Café\r\n");
        var server = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, latin1, ct, ("Content-Type", "text/calendar; charset=ISO-8859-1")));
        using var client = Client();

        var response = await client.GetAsync(server.Url());

        Assert.That(response.MediaType, Is.EqualTo("text/calendar"));
        Assert.That(response.Charset, Is.EqualTo("ISO-8859-1"));
        Assert.That(response.CharsetEncoding()!.GetString(response.Body), Is.EqualTo("SUMMARY:Café\r\n"));
    }

    [Test]
    public async Task Endless_Body_Is_Cut_At_The_Limit()
    {
        var server = Serve(async (_, stream, ct) =>
        {
            await LoopbackServer.WriteHeadAsync(stream, 200, ct, ("Connection", "close"));
            var chunk = new byte[16384];
            while (!ct.IsCancellationRequested)
            {
                await stream.WriteAsync(chunk, ct);
            }
        });
        using var client = Client(o => o.MaxSourceResponseBytes = 256 * 1024);

        var error = await Fails(client.GetAsync(server.Url()));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.TooLarge));
        Assert.That(error.Message, Is.EqualTo("The response was larger than 256 KB."));
    }

    [Test]
    public async Task Content_Length_Over_The_Limit_Is_Refused_Before_Reading()
    {
        // The body never comes: only refusing on the header can end this before the timeout.
        var server = Serve(async (_, stream, ct) =>
        {
            await LoopbackServer.WriteHeadAsync(stream, 200, ct, ("Content-Length", "104857600"));
            await Task.Delay(Timeout.Infinite, ct);
        });
        using var client = Client(o => o.SourceRequestTimeout = TimeSpan.FromSeconds(10));

        var error = await Fails(client.GetAsync(server.Url()));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.TooLarge));
        Assert.That(error.Message, Is.EqualTo("The response was larger than 20 MB."));
    }

    [Test]
    public async Task Gzip_Bomb_Is_Cut_At_The_Decompressed_Limit()
    {
        var bomb = Compress(new byte[16 * 1024 * 1024], "gzip");
        const int Limit = 1024 * 1024;
        Assert.That(bomb, Has.Length.LessThan(Limit), "the compressed bomb must pass the wire limit");
        var server = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, bomb, ct, ("Content-Encoding", "gzip")));
        using var client = Client(o => o.MaxSourceResponseBytes = Limit);

        var error = await Fails(client.GetAsync(server.Url()));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.TooLarge));
        Assert.That(error.Message, Is.EqualTo("The response was larger than 1 MB."));
    }

    [Test]
    public async Task Slow_Server_Times_Out()
    {
        var server = Serve(async (_, stream, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), ct);
            await LoopbackServer.WriteAsync(stream, 200, Calendar, ct);
        });
        using var client = Client(o => o.SourceRequestTimeout = TimeSpan.FromMilliseconds(300));

        var error = await Fails(client.GetAsync(server.Url()));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.Timeout));
        Assert.That(error.Message, Is.EqualTo("The server did not answer within 0.3 seconds."));
    }

    [Test]
    public async Task Trickling_Body_Times_Out_While_Reading()
    {
        var server = Serve(async (_, stream, ct) =>
        {
            await LoopbackServer.WriteHeadAsync(stream, 200, ct, ("Content-Length", "1000"));
            for (var i = 0; i < 1000; i++)
            {
                await stream.WriteAsync("x"u8.ToArray(), ct);
                await Task.Delay(100, ct);
            }
        });
        using var client = Client(o => o.SourceRequestTimeout = TimeSpan.FromMilliseconds(400));

        var error = await Fails(client.GetAsync(server.Url()));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.Timeout));
    }

    [Test]
    public async Task Connect_That_Hangs_Times_Out_At_The_Connect_Limit()
    {
        using var client = new SourceHttpClient(
            new SourceHttpOptions { AllowPrivateNetworkSources = true, SourceConnectTimeout = TimeSpan.FromMilliseconds(200), SourceRequestTimeout = TimeSpan.FromSeconds(10) },
            connect: async (_, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                throw new UnreachableException();
            });

        var watch = Stopwatch.StartNew();
        var error = await Fails(client.GetAsync(new Uri("http://127.0.0.1:9/")));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.Timeout));
        Assert.That(error.Message, Is.EqualTo("The server could not be reached within 0.2 seconds."));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "the connect limit, not the request limit, ended it");
    }

    [Test]
    public async Task Caller_Cancellation_Surfaces_As_Cancellation()
    {
        var server = Serve(async (_, stream, ct) => await Task.Delay(Timeout.Infinite, ct));
        using var client = Client();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.That(
            async () => await client.SendAsync(SourceRequest.Get(server.Url()), cancel.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task Closed_Port_Is_Unreachable()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var client = Client();

        var error = await Fails(client.GetAsync(new Uri($"http://127.0.0.1:{port}/")));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.Unreachable));
        Assert.That(error.Message, Does.Contain("refused the connection"));
    }

    [Test]
    public async Task Unknown_Name_Is_Unreachable()
    {
        using var client = SourceHttpClient.Create(
            new SourceHttpOptions { AllowPrivateNetworkSources = true },
            resolver: (_, _) => throw new SocketException((int)SocketError.HostNotFound));

        var error = await Fails(client.GetAsync(new Uri("http://no-such-host.example/")));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.Unreachable));
        Assert.That(error.Message, Does.Contain("could not be found (DNS)"));
    }

    [Test]
    public async Task Truncated_Body_Is_A_Protocol_Error()
    {
        var server = Serve(async (_, stream, ct) =>
        {
            await LoopbackServer.WriteHeadAsync(stream, 200, ct, ("Content-Length", "1000"));
            await stream.WriteAsync(Encoding.ASCII.GetBytes("BEGIN:VCALENDAR"), ct);
        });
        using var client = Client();

        var error = await Fails(client.GetAsync(server.Url()));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.Protocol));
        Assert.That(error.Message, Does.Contain("closed before the whole response arrived"));
    }

    [Test]
    public async Task Webcal_Means_Https_And_A_Failed_Handshake_Is_A_Tls_Error()
    {
        // A plain-HTTP server answers the TLS ClientHello with HTTP text: only an https request fails like this.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await socket.ReceiveAsync(new byte[4096]);
            await socket.SendAsync("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"u8.ToArray());
            socket.Shutdown(SocketShutdown.Both);
        });
        try
        {
            using var client = Client();

            var error = await Fails(client.GetAsync(new Uri($"webcal://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/feed.ics")));

            Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.Tls));
            await serve;
        }
        finally
        {
            listener.Stop();
        }
    }

    [TestCase(401, SourceErrorKind.Unauthorized, "The server rejected the username or password (HTTP 401).")]
    [TestCase(403, SourceErrorKind.Forbidden, "The server refused access to this address (HTTP 403); the account may lack permission.")]
    [TestCase(404, SourceErrorKind.NotFound, "Nothing was found at this address (HTTP 404).")]
    [TestCase(410, SourceErrorKind.NotFound, "Nothing was found at this address (HTTP 410).")]
    [TestCase(503, SourceErrorKind.ServerError, "The server reported an error (HTTP 503); try again later.")]
    [TestCase(405, SourceErrorKind.Protocol, "The server refused the request (HTTP 405).")]
    public async Task Error_Status_Becomes_A_Typed_Error(int status, object kind, string message)
    {
        var server = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, status, "nope", ct));
        using var client = Client();

        var error = await Fails(client.GetAsync(server.Url(), SourceCredentials.Basic("alice", "s3cret")));

        Assert.That(error.Kind, Is.EqualTo((SourceErrorKind)kind));
        Assert.That(error.StatusCode, Is.EqualTo(status));
        Assert.That(error.Message, Is.EqualTo(message));
    }

    [Test]
    public async Task Unauthorized_Without_Credentials_Says_They_Are_Needed()
    {
        var server = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, 401, "", ct, ("WWW-Authenticate", "Basic realm=\"cal\"")));
        using var client = Client();

        var error = await Fails(client.GetAsync(server.Url()));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.Unauthorized));
        Assert.That(error.Message, Is.EqualTo("The server asks for a username and password (HTTP 401)."));
    }

    [Test]
    public async Task Error_Status_Is_Returned_With_Its_Body_When_The_Caller_Asks()
    {
        var server = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, 403, "<error xmlns=\"DAV:\"><valid-sync-token/></error>", ct));
        using var client = Client();

        var response = await client.SendAsync(new SourceRequest { Url = server.Url(), Method = SourceRequest.Report, ThrowOnErrorStatus = false });

        Assert.That(response.StatusCode, Is.EqualTo(403));
        Assert.That(Encoding.UTF8.GetString(response.Body), Does.Contain("valid-sync-token"));
        Assert.That(() => response.EnsureSuccess(), Throws.TypeOf<SourceException>().With.Property(nameof(SourceException.Kind)).EqualTo(SourceErrorKind.Forbidden));
    }

    [Test]
    public async Task Too_Many_Redirects_Are_Refused()
    {
        var server = Serve((request, stream, ct) => LoopbackServer.WriteAsync(stream, 302, "", ct, ("Location", request.Target + "x")));
        using var client = Client();

        var error = await Fails(client.GetAsync(server.Url("/r")));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.TooManyRedirects));
        Assert.That(error.Message, Is.EqualTo("The server redirected more than 5 times; check the address."));
        Assert.That(server.Requests.Select(r => r.Target), Is.EqualTo(new[] { "/r", "/rx", "/rxx", "/rxxx", "/rxxxx", "/rxxxxx" }));
    }

    [Test]
    public async Task Redirects_Are_Followed_Up_To_The_Limit()
    {
        var server = Serve((request, stream, ct) => request.Target.Length < "/rxxxxx".Length
            ? LoopbackServer.WriteAsync(stream, 301, "", ct, ("Location", request.Target + "x"))
            : LoopbackServer.WriteAsync(stream, 200, Calendar, ct));
        using var client = Client();

        var response = await client.GetAsync(server.Url("/r"));

        Assert.That(response.StatusCode, Is.EqualTo(200));
        Assert.That(response.Url, Is.EqualTo(server.Url("/rxxxxx")));
    }

    [Test]
    public async Task Redirect_Without_Location_Is_A_Protocol_Error()
    {
        var server = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, 302, "", ct));
        using var client = Client();

        var error = await Fails(client.GetAsync(server.Url()));

        Assert.That(error.Kind, Is.EqualTo(SourceErrorKind.Protocol));
    }

    [Test]
    public async Task See_Other_After_Post_Becomes_A_Get_Without_Body()
    {
        var server = Serve((request, stream, ct) => request.Target == "/post"
            ? LoopbackServer.WriteAsync(stream, 303, "", ct, ("Location", "/result"))
            : LoopbackServer.WriteAsync(stream, 200, "done", ct));
        using var client = Client();

        await client.SendAsync(new SourceRequest { Url = server.Url("/post"), Method = HttpMethod.Post, Body = "{}"u8.ToArray(), ContentType = "application/json" });

        Assert.That(server.Requests[1].Method, Is.EqualTo("GET"));
        Assert.That(server.Requests[1].Body, Is.Empty);
    }

    [Test]
    public async Task Temporary_Redirect_Repeats_Method_Body_And_Headers()
    {
        var server = Serve((request, stream, ct) => request.Target == "/old/"
            ? LoopbackServer.WriteAsync(stream, 307, "", ct, ("Location", "/new/"))
            : LoopbackServer.WriteAsync(stream, 207, "<multistatus xmlns=\"DAV:\"/>", ct, ("Content-Type", "application/xml; charset=utf-8")));
        using var client = Client();
        var body = "<propfind xmlns=\"DAV:\"><prop><getetag/></prop></propfind>"u8.ToArray();

        var response = await client.SendAsync(new SourceRequest
        {
            Url = server.Url("/old/"),
            Method = SourceRequest.Propfind,
            Body = body,
            ContentType = "application/xml; charset=utf-8",
            Headers = new Dictionary<string, string> { ["Depth"] = "1" },
        });

        Assert.That(response.StatusCode, Is.EqualTo(207));
        Assert.That(response.Charset, Is.EqualTo("utf-8"));
        var repeated = server.Requests[1];
        Assert.That(repeated.Method, Is.EqualTo("PROPFIND"));
        Assert.That(repeated.Target, Is.EqualTo("/new/"));
        Assert.That(repeated.Body, Is.EqualTo(body));
        Assert.That(repeated.Header("Depth"), Is.EqualTo("1"));
        Assert.That(repeated.Header("Content-Type"), Is.EqualTo("application/xml; charset=utf-8"));
    }

    [Test]
    public async Task Put_Returns_The_New_ETag_And_Sends_If_Match()
    {
        var server = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, 204, "", ct, ("ETag", "\"new\"")));
        using var client = Client();

        var response = await client.SendAsync(new SourceRequest
        {
            Url = server.Url("/cal/task.ics"),
            Method = HttpMethod.Put,
            Body = Encoding.UTF8.GetBytes(Calendar),
            ContentType = "text/calendar; charset=utf-8",
            Headers = new Dictionary<string, string> { ["If-Match"] = "\"old\"" },
        });

        Assert.That(response.ETag, Is.EqualTo("\"new\""));
        Assert.That(server.Requests[0].Header("If-Match"), Is.EqualTo("\"old\""));
        Assert.That(server.Requests[0].Body, Is.EqualTo(Encoding.UTF8.GetBytes(Calendar)));
    }

    [Test]
    public async Task Basic_And_Bearer_Credentials_Are_Sent()
    {
        var server = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "ok", ct));
        using var client = Client();

        await client.GetAsync(server.Url(), SourceCredentials.Basic("alice", "s3cret"));
        await client.GetAsync(server.Url(), SourceCredentials.Bearer("tok-123"));
        await client.GetAsync(new Uri($"http://bob:p%40ss@127.0.0.1:{server.Port}/"));

        Assert.That(server.Requests.Select(r => r.Header("Authorization")), Is.EqualTo(new[]
        {
            "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret")),
            "Bearer tok-123",
            "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:p@ss")),
        }));
    }

    [Test]
    public async Task Authorization_Is_Dropped_On_A_Cross_Origin_Redirect()
    {
        var other = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "other", ct));
        var origin = Serve((request, stream, ct) => request.Target switch
        {
            "/a" => LoopbackServer.WriteAsync(stream, 302, "", ct, ("Location", "/b")),
            "/b" => LoopbackServer.WriteAsync(stream, 302, "", ct, ("Location", other.Url("/c").AbsoluteUri)),
            _ => LoopbackServer.WriteAsync(stream, 200, "back home", ct),
        });
        using var client = Client();

        var response = await client.SendAsync(new SourceRequest
        {
            Url = origin.Url("/a"),
            Credentials = SourceCredentials.Bearer("tok-123"),
            Headers = new Dictionary<string, string> { ["Cookie"] = "session=1", ["X-Custom"] = "kept" },
        });

        Assert.That(Encoding.UTF8.GetString(response.Body), Is.EqualTo("other"));
        Assert.That(origin.Requests.Select(r => r.Header("Authorization")), Is.EqualTo(new[] { "Bearer tok-123", "Bearer tok-123" }), "same-origin hop keeps credentials");
        Assert.That(origin.Requests[1].Header("Cookie"), Is.EqualTo("session=1"));
        var foreign = other.Requests.Single();
        Assert.That(foreign.Header("Authorization"), Is.Null);
        Assert.That(foreign.Header("Cookie"), Is.Null);
        Assert.That(foreign.Header("X-Custom"), Is.EqualTo("kept"));
    }

    [Test]
    public async Task Credentials_Stay_Dropped_When_A_Foreign_Server_Redirects_Back()
    {
        LoopbackServer origin = null!;
        var other = Serve((_, stream, ct) => LoopbackServer.WriteAsync(stream, 302, "", ct, ("Location", origin.Url("/admin").AbsoluteUri)));
        origin = Serve((request, stream, ct) => request.Target == "/a"
            ? LoopbackServer.WriteAsync(stream, 302, "", ct, ("Location", other.Url("/x").AbsoluteUri))
            : LoopbackServer.WriteAsync(stream, 200, "admin", ct));
        using var client = Client();

        await client.GetAsync(origin.Url("/a"), SourceCredentials.Basic("alice", "s3cret"));

        Assert.That(origin.Requests.Select(r => r.Header("Authorization") is not null), Is.EqualTo(new[] { true, false }));
    }

    [TestCase("Host")]
    [TestCase("Content-Length")]
    [TestCase("Accept-Encoding")]
    public void Headers_The_Client_Owns_Cannot_Be_Set(string header)
    {
        using var client = Client();

        Assert.That(
            () => client.SendAsync(new SourceRequest { Url = new Uri("http://127.0.0.1:9/"), Headers = new Dictionary<string, string> { [header] = "x" } }),
            Throws.ArgumentException);
    }

    [Test]
    public void Header_Values_With_Line_Breaks_Are_Refused()
    {
        using var client = Client();

        Assert.That(
            () => client.SendAsync(new SourceRequest { Url = new Uri("http://127.0.0.1:9/"), Headers = new Dictionary<string, string> { ["Depth"] = "1\r\nX-Evil: 1" } }),
            Throws.ArgumentException);
    }

    private LoopbackServer Serve(Func<ReceivedRequest, Stream, CancellationToken, Task> handler)
    {
        var server = new LoopbackServer(handler);
        servers.Add(server);
        return server;
    }

    private static SourceHttpClient Client(Action<SourceHttpOptions>? configure = null)
    {
        var options = new SourceHttpOptions
        {
            AllowPrivateNetworkSources = true,
            SourceConnectTimeout = TimeSpan.FromSeconds(2),
            SourceRequestTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return SourceHttpClient.Create(options);
    }

    private static async Task<SourceException> Fails(Task<SourceResponse> call)
    {
        try
        {
            await call;
        }
        catch (SourceException e)
        {
            return e;
        }

        Assert.Fail("The request did not fail.");
        throw new UnreachableException();
    }

    private static byte[] Compress(byte[] data, string coding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = coding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "raw-deflate" => new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => throw new ArgumentOutOfRangeException(nameof(coding)),
        })
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }
}
