using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;

namespace ChannelService.Tests.Support;

/// <summary>
/// A real PostgreSQL (Debian's <c>postgresql</c>, binaries in <see cref="BinFolder"/>) for the whole test run: started
/// on first use by <c>initdb</c> into a temp folder and <c>postgres</c> on a free loopback port, as an unprivileged
/// user (initdb refuses root: under root the tests switch to <c>nobody</c> with <c>setpriv</c>, which execs, so the
/// process id is the postmaster's), and stopped by that id in <see cref="PostgresRun"/>'s tear-down. Each test asks
/// for a fresh database (<see cref="CreateDatabaseAsync"/>); durability is off (<c>fsync=off</c>): the data is thrown away.
/// </summary>
internal sealed class PostgresServer
{
    public const string BinFolder = "/usr/lib/postgresql/15/bin";

    private const int SigInt = 2;

    private static readonly SemaphoreSlim StartGate = new(1, 1);
    private static PostgresServer? shared;
    private static int databases;

    private readonly Process process;
    private readonly StringBuilder log;

    private PostgresServer(Process process, StringBuilder log, string folder, int port)
    {
        this.process = process;
        this.log = log;
        Folder = folder;
        Port = port;
    }

    public string Folder { get; }

    public int Port { get; }

    public int ProcessId => process.Id;

    /// <summary>Connection string of the server's maintenance database (superuser, trust authentication on loopback).</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    /// <summary>The run's server, started on first use.</summary>
    public static async Task<PostgresServer> SharedAsync()
    {
        await StartGate.WaitAsync();
        try
        {
            return shared ??= await StartAsync();
        }
        finally
        {
            StartGate.Release();
        }
    }
    /// <summary>Stops the run's server if one was started (<see cref="PostgresRun"/>).</summary>
    public static async Task StopSharedAsync()
    {
        if (shared is { } server)
        {
            shared = null;
            await server.StopAsync();
        }
    }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Password=unused;Timeout=15;Maximum Pool Size=30";

    /// <summary>A new empty database; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Environment.ProcessId}_{Interlocked.Increment(ref databases)}";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE template0", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var postgres = Path.Combine(BinFolder, "postgres");
        if (!File.Exists(postgres))
        {
            throw new InvalidOperationException($"{postgres} is missing: install it with 'apt-get install -y postgresql'.");
        }

        var folder = Directory.CreateTempSubdirectory("channelservice-pg-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0x1FF); // 0777: the unprivileged user creates the cluster inside
        }
        var data = Path.Combine(folder, "data");
        using var init = Run("initdb", folder, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync");
        var initOutput = init.StandardOutput.ReadToEndAsync();
        var initErrors = init.StandardError.ReadToEndAsync();
        await init.WaitForExitAsync();
        if (init.ExitCode != 0)
        {
            throw new InvalidOperationException($"initdb failed ({init.ExitCode}): {await initErrors} {await initOutput}");
        }

        var port = FreeLoopbackPort();
        var log = new StringBuilder();
        var process = Run(
            "postgres",
            folder,
            "-D", data, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=300", "-c", "shared_buffers=64MB");
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PostgresServer(process, log, folder, port);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(server.AdminConnectionString);
                await connection.OpenAsync();
                return server;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException && DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException)
            {
                var output = server.Log;
                await server.StopAsync();
                throw new InvalidOperationException($"PostgreSQL did not start: {ex.Message}\n{output}", ex);
            }
        }
    }

    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    /// <summary>Fast shutdown (SIGINT) of the postmaster by its id, then the folder goes.</summary>
    public async Task StopAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (!process.HasExited)
        {
            _ = Kill(process.Id, SigInt);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Runs a PostgreSQL program, as <c>nobody</c> when the tests run as root (initdb and postgres refuse root).</summary>
    private static Process Run(string program, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (GetEuid() == 0)
        {
            start.FileName = "/usr/bin/setpriv";
            foreach (var a in new[] { "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--" })
            {
                start.ArgumentList.Add(a);
            }

            start.ArgumentList.Add(Path.Combine(BinFolder, program));
        }
        else
        {
            start.FileName = Path.Combine(BinFolder, program);
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.AppendLine(line);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
