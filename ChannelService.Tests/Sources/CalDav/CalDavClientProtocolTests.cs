using System.Net;
using System.Net.Sockets;
using System.Text;
using ChannelService.Sources.CalDav;

namespace ChannelService.Tests.Sources.CalDav;

/// <summary>Server behaviour Radicale does not show (truncation, other error codes, hostile XML), with scripted answers.</summary>
[TestFixture]
public sealed class CalDavClientProtocolTests
{
    private static readonly Uri Collection = new("https://dav.example.test/cal/alice/tasks/");

    [Test]
    public async Task Truncated_Sync_Is_Repeated_With_The_New_Token_Until_Complete()
    {
        var handler = new ScriptedHandler(
            (_, _) => ScriptedHandler.MultiStatus("""
                <d:multistatus xmlns:d="DAV:">
                  <d:response><d:href>/cal/alice/tasks/a.ics</d:href><d:propstat><d:prop><d:getetag>"a1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
                  <d:response><d:href>/cal/alice/tasks/b.ics</d:href><d:propstat><d:prop><d:getetag>"b1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
                  <d:response><d:href>/cal/alice/tasks/</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status>
                    <d:error><d:number-of-matches-within-limits/></d:error></d:response>
                  <d:sync-token>tok-2</d:sync-token>
                </d:multistatus>
                """),
            (_, _) => ScriptedHandler.MultiStatus("""
                <multistatus xmlns="DAV:">
                  <response><href>https://dav.example.test/cal/alice/tasks/b.ics</href><status>HTTP/1.1 404 Not Found</status></response>
                  <response><href>/cal/alice/tasks/c.ics</href><propstat><prop><getetag>"c1"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
                  <response><href>/cal/alice/tasks/gone.ics</href><status>HTTP/1.1 404 Not Found</status></response>
                  <sync-token>tok-3</sync-token>
                </multistatus>
                """));
        var client = Client(handler);

        var result = await client.SyncAsync(Collection, "s1:tok-1");

        Assert.Multiple(() =>
        {
            Assert.That(handler.RequestBodies[0], Does.Contain("<D:sync-token>tok-1</D:sync-token>").And.Contain("<D:sync-level>1</D:sync-level>"));
            Assert.That(handler.RequestBodies[1], Does.Contain("<D:sync-token>tok-2</D:sync-token>"));
            Assert.That(result.IsFullResync, Is.False);
            Assert.That(result.Changed, Is.EquivalentTo(new[] { new CalDavChange("/cal/alice/tasks/a.ics", "\"a1\""), new CalDavChange("/cal/alice/tasks/c.ics", "\"c1\"") }));
            Assert.That(result.Deleted, Is.EquivalentTo(new[] { "/cal/alice/tasks/b.ics", "/cal/alice/tasks/gone.ics" }));
            Assert.That(result.Cursor, Is.EqualTo("s1:tok-3"));
        });
    }

    [TestCase(400, "")]
    [TestCase(403, "<error xmlns=\"DAV:\"><valid-sync-token/></error>")]
    [TestCase(409, "<error xmlns=\"DAV:\"><valid-sync-token/></error>")]
    public async Task Refused_Sync_Token_Starts_A_Full_Resync(int status, string body)
    {
        var handler = new ScriptedHandler(
            (_, _) => new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, "application/xml") },
            (_, _) => ScriptedHandler.MultiStatus("""
                <multistatus xmlns="DAV:">
                  <response><href>/cal/alice/tasks/a.ics</href><propstat><prop><getetag>"a2"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
                  <sync-token>fresh</sync-token>
                </multistatus>
                """));

        var result = await Client(handler).SyncAsync(Collection, "s1:expired");

        Assert.That(handler.RequestBodies[1], Does.Contain("<D:sync-token></D:sync-token>"));
        Assert.That(result.IsFullResync, Is.True);
        Assert.That(result.Changed, Is.EqualTo(new[] { new CalDavChange("/cal/alice/tasks/a.ics", "\"a2\"") }));
        Assert.That(result.Cursor, Is.EqualTo("s1:fresh"));
    }

    [Test]
    public void A_Document_Type_Declaration_Is_Refused()
    {
        var handler = new ScriptedHandler((_, _) => ScriptedHandler.MultiStatus("""
            <?xml version="1.0"?>
            <!DOCTYPE multistatus [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <multistatus xmlns="DAV:"><response><href>&xxe;</href></response></multistatus>
            """));

        var ex = Assert.ThrowsAsync<CalDavException>(() => Client(handler).GetCollectionAsync(Collection));

        Assert.That(ex!.Kind, Is.EqualTo(CalDavErrorKind.Protocol));
        Assert.That(ex.Message, Does.Not.Contain("root:"));
    }

    [Test]
    public void A_Response_Over_The_Size_Limit_Is_Refused()
    {
        var big = "<multistatus xmlns=\"DAV:\">" + new string(' ', 5000) + "</multistatus>";
        var handler = new ScriptedHandler((_, _) => ScriptedHandler.MultiStatus(big));
        var client = new CalDavClient(new HttpClient(handler), null, options: new CalDavClientOptions { MaxResponseBytes = 4096 });

        var ex = Assert.ThrowsAsync<CalDavException>(() => client.SyncAsync(Collection, "s1:t"));

        Assert.That(ex!.Kind, Is.EqualTo(CalDavErrorKind.Protocol));
        Assert.That(ex.Message, Does.Contain("more than 4096 bytes"));
    }

    [Test]
    public void A_Sync_Answer_Without_A_Token_Is_A_Protocol_Error()
    {
        var handler = new ScriptedHandler((_, _) => ScriptedHandler.MultiStatus("<multistatus xmlns=\"DAV:\"/>"));

        var ex = Assert.ThrowsAsync<CalDavException>(() => Client(handler).SyncAsync(Collection, "s1:t"));

        Assert.That(ex!.Kind, Is.EqualTo(CalDavErrorKind.Protocol));
    }

    [Test]
    public void Credentials_Do_Not_Follow_A_Redirect_To_Another_Host()
    {
        var handler = new ScriptedHandler(
            (_, _) => new HttpResponseMessage(HttpStatusCode.MovedPermanently) { Headers = { Location = new Uri("https://elsewhere.example.test/dav/") } },
            (_, _) => new HttpResponseMessage(HttpStatusCode.Unauthorized));
        var seen = new List<string?>();
        var client = new CalDavClient(new HttpClient(new Recorder(handler, seen)), new CalDavCredentials("alice", "s3cret"));

        var ex = Assert.ThrowsAsync<CalDavException>(() => client.GetCollectionAsync(Collection));

        Assert.That(ex!.Kind, Is.EqualTo(CalDavErrorKind.Unauthorized));
        Assert.That(seen, Is.EqualTo(new[] { "Basic YWxpY2U6czNjcmV0", null }));
    }

    [Test]
    public void A_Closed_Port_Is_Unreachable()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        using var http = new HttpClient();
        var ex = Assert.ThrowsAsync<CalDavException>(() => new CalDavClient(http, null).GetCollectionAsync(new Uri($"http://127.0.0.1:{port}/cal/")));

        Assert.That(ex!.Kind, Is.EqualTo(CalDavErrorKind.Unreachable));
    }

    [Test]
    public void A_Server_That_Does_Not_Answer_In_Time_Is_A_Timeout()
    {
        var handler = new ScriptedHandler((_, _) => throw new TaskCanceledException("slow", new TimeoutException()));

        var ex = Assert.ThrowsAsync<CalDavException>(() => Client(handler).GetAsync(new Uri(Collection, "a.ics")));

        Assert.That(ex!.Kind, Is.EqualTo(CalDavErrorKind.Timeout));
    }

    [Test]
    public void Inline_Cursor_Keeps_The_Map_And_CTag()
    {
        var map = new Dictionary<string, string> { ["/cal/alice/tasks/a.ics"] = "\"1\"", ["/elsewhere/b.ics"] = "W/\"2\"" };

        var cursor = CalDavCursor.Inline("ctag-7", map, "/cal/alice/tasks/");
        var parsed = CalDavCursor.Parse(cursor, "/cal/alice/tasks/") as CalDavCursor.CTag;

        Assert.That(parsed, Is.Not.Null);
        Assert.That(parsed!.Value, Is.EqualTo("ctag-7"));
        Assert.That(parsed.InlineMap, Is.EquivalentTo(map));
        Assert.That(CalDavCursor.Parse("c1:garbage:i!!", "/"), Is.Null, "an unreadable cursor means a full resync");
    }

    private static CalDavClient Client(HttpMessageHandler handler) => new(new HttpClient(handler), new CalDavCredentials("alice", "s3cret"));

    private sealed class Recorder(HttpMessageHandler inner, List<string?> seen) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Add(request.Headers.Authorization?.ToString());
            return base.SendAsync(request, cancellationToken);
        }
    }
}
