using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace ChannelService.Tests.Support;

/// <summary>
/// A real Radicale (Debian package <c>radicale</c>) on a free loopback port, with a throwaway config, storage and
/// plain htpasswd users under a temp folder (spec/calendar.md §3.4). Start one per fixture class in
/// <c>[OneTimeSetUp]</c>, give each test its own collection, dispose in <c>[OneTimeTearDown]</c>: the process is
/// killed by its id and awaited, and the folder removed.
/// </summary>
internal sealed class RadicaleServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/radicale";

    private static readonly HttpMethod MkCalendar = new("MKCALENDAR");

    private Process _process;
    private readonly StringBuilder _log;
    private int _collections;

    private RadicaleServer(Process process, StringBuilder log, string folder, Uri baseUrl, IReadOnlyDictionary<string, string> users)
    {
        _process = process;
        _log = log;
        Folder = folder;
        BaseUrl = baseUrl;
        Users = users;
    }

    /// <summary>Root URL, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>User name → password (htpasswd "plain").</summary>
    public IReadOnlyDictionary<string, string> Users { get; }

    /// <summary>The first user, for tests that need only one.</summary>
    public string UserName => Users.Keys.First();

    public string Password => Users[UserName];

    /// <summary>Temp folder holding config, users, log and storage.</summary>
    public string Folder { get; }

    /// <summary>Radicale's filesystem storage; collections live in <c>collection-root/&lt;user&gt;/&lt;name&gt;/</c>.</summary>
    public string StorageFolder => Path.Combine(Folder, "collections");

    public int ProcessId => _process.Id;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts Radicale with the given users (default: alice/s3cret and bob/hunter2).</summary>
    /// <param name="seedStorage">Writes into <see cref="StorageFolder"/> before the server starts (Radicale reads it as is).</param>
    public static async Task<RadicaleServer> StartAsync(IReadOnlyDictionary<string, string>? users = null, Action<string>? seedStorage = null)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install it with 'apt-get install -y radicale'.");
        }

        users ??= new Dictionary<string, string> { ["alice"] = "s3cret", ["bob"] = "hunter2" };
        var folder = Directory.CreateTempSubdirectory("radicale-").FullName;
        var storage = Path.Combine(folder, "collections");
        Directory.CreateDirectory(storage);
        seedStorage?.Invoke(storage);
        await File.WriteAllLinesAsync(Path.Combine(folder, "users"), users.Select(u => $"{u.Key}:{u.Value}"));

        // A port taken between our probe and Radicale's bind makes it exit at once; try a few ports.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            var config = Path.Combine(folder, "config");
            await File.WriteAllTextAsync(config, $"""
                [server]
                hosts = 127.0.0.1:{port}
                [auth]
                type = htpasswd
                htpasswd_filename = {Path.Combine(folder, "users")}
                htpasswd_encryption = plain
                delay = 0
                [rights]
                type = owner_only
                [storage]
                filesystem_folder = {storage}
                [web]
                type = none
                [logging]
                level = warning
                """);

            var log = new StringBuilder();
            var start = new ProcessStartInfo(Executable)
            {
                // --config replaces Debian's /etc/radicale/config (auth remote_user) instead of adding to it.
                ArgumentList = { "--config", config },
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            var process = Process.Start(start) ?? throw new InvalidOperationException("radicale did not start");
            process.OutputDataReceived += (_, e) => Append(log, e.Data);
            process.ErrorDataReceived += (_, e) => Append(log, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            var server = new RadicaleServer(process, log, folder, new Uri($"http://127.0.0.1:{port}/"), users);
            if (await server.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(20)))
            {
                return server;
            }

            var output = server.Log;
            await server.StopProcessAsync();
            if (attempt >= 3)
            {
                Directory.Delete(folder, recursive: true);
                throw new InvalidOperationException("Radicale did not start: " + output);
            }
        }
    }

    /// <summary>Stops the server as an outage would (killed by its id); storage, config and port stay for <see cref="StartAgainAsync"/>.</summary>
    public Task StopAsync() => StopProcessAsync();

    /// <summary>Starts the stopped server again on the same port with the same storage.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(Executable)
        {
            ArgumentList = { "--config", Path.Combine(Folder, "config") },
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("radicale did not start");
        process.OutputDataReceived += (_, e) => Append(_log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        if (!await WaitUntilAnsweringAsync(TimeSpan.FromSeconds(20)))
        {
            throw new InvalidOperationException("Radicale did not start again: " + Log);
        }
    }

    /// <summary>Sets a user's password in the htpasswd file (Radicale 3.1 reads the file at every login).</summary>
    public async Task SetPasswordAsync(string user, string password)
    {
        var users = Users.ToDictionary(u => u.Key, u => u.Key == user ? password : u.Value);
        await File.WriteAllLinesAsync(Path.Combine(Folder, "users"), users.Select(u => $"{u.Key}:{u.Value}"));
    }

    /// <summary>An HttpClient that does not follow redirects (CalDavClient follows them itself), for loopback only.</summary>
    public static HttpClient CreateHttpClient(HttpMessageHandler? outer = null) =>
        new(outer ?? new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Creates a calendar collection with a unique name (MKCALENDAR, RFC 4791 §5.3.1) and returns its URL.</summary>
    public async Task<Uri> CreateCollectionAsync(string? user = null, string? displayName = null, params string[] components)
    {
        user ??= UserName;
        var name = $"c{Interlocked.Increment(ref _collections)}-{Guid.NewGuid():N}"[..16];
        var url = new Uri(BaseUrl, $"{user}/{name}/");
        var comps = string.Concat(components.Select(c => $"<C:comp name=\"{c}\"/>"));
        var body = $"""
            <?xml version="1.0" encoding="utf-8"?>
            <C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
            {(displayName is null ? string.Empty : $"<D:displayname>{WebUtility.HtmlEncode(displayName)}</D:displayname>")}
            {(components.Length == 0 ? string.Empty : $"<C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set>")}
            </D:prop></D:set></C:mkcalendar>
            """;
        using var http = CreateHttpClient();
        using var request = new HttpRequestMessage(MkCalendar, url) { Content = new StringContent(body, Encoding.UTF8, "application/xml") };
        request.Headers.Authorization = BasicAuth(user);
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"MKCALENDAR {url} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return url;
    }

    /// <summary>
    /// Writes calendar objects straight into a collection's storage folder, much faster than PUT for hundreds of
    /// items. Radicale's multifilesystem storage re-reads the folder on each request and derives ETags and sync
    /// tokens from the files, so the items are visible at once. Names must be plain file names.
    /// </summary>
    public void WriteItems(Uri collection, IEnumerable<(string Name, string Body)> items)
    {
        var folder = Path.Combine([StorageFolder, "collection-root", .. collection.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries)]);
        if (!Directory.Exists(folder))
        {
            throw new InvalidOperationException($"No storage folder for {collection}: create the collection first.");
        }

        foreach (var (name, body) in items)
        {
            if (name.Contains('/', StringComparison.Ordinal) || name.StartsWith('.'))
            {
                throw new ArgumentException($"Not a plain item name: {name}", nameof(items));
            }

            File.WriteAllText(Path.Combine(folder, name), body, new UTF8Encoding(false));
        }
    }

    /// <summary>Sends one raw request as <paramref name="user"/> (for arranging state behind the client's back).</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, string? body = null, string? user = null, Action<HttpRequestMessage>? configure = null)
    {
        using var http = CreateHttpClient();
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "text/calendar");
        }

        request.Headers.Authorization = BasicAuth(user ?? UserName);
        configure?.Invoke(request);
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    public AuthenticationHeaderValue BasicAuth(string user) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{Users[user]}")));

    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; a failed teardown would hide the real test result.
        }
    }

    private async Task StopProcessAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task<bool> WaitUntilAnsweringAsync(TimeSpan limit)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
            {
                return false;
            }

            try
            {
                using var response = await http.GetAsync(BaseUrl);
                return true;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        return false;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }
}
