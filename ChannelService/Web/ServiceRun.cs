using System.Text.RegularExpressions;
using ChannelService.Accounts;
using ChannelService.Data;
using Microsoft.AspNetCore.Connections;

namespace ChannelService.Web;

/// <summary>
/// Runs the service process. A start that fails because the data folder is in use or the port is taken ends with one
/// line on standard error and exit code 1, not a stack trace; one service per data folder. (Invalid settings still
/// stop the start with an exception from <see cref="ServiceSetup.PrepareAsync"/>: test hosts expect it.)
/// </summary>
public static partial class ServiceRun
{
    public const int StartFailed = 1;

    /// <summary>The host's own log of a failed start ("Hosting failed to start" with the whole stack trace).</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    public static async Task<int> RunChannelServiceAsync(this WebApplicationBuilder builder, TextWriter stderr)
    {
        // Until the service has started, the host logs only its critical messages: a failed start is reported below,
        // in one line. Afterwards it logs as configured (a faulted background service, for one).
        var starting = true;
        builder.Logging.AddFilter(HostCategory, level => level >= LogLevel.Information && (!Volatile.Read(ref starting) || level >= LogLevel.Critical));
        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(() => Volatile.Write(ref starting, false));

        var folder = AccountsConfiguration.DataDirectory(app.Configuration);
        using var folderLock = DataDirectoryLock.TryAcquire(folder);
        if (folderLock is null)
        {
            await stderr.WriteLineAsync($"error: another ChannelService is already running on the data folder {folder} (one service per data folder)");
            return StartFailed;
        }

        try
        {
            await app.PrepareAsync();
        }
        catch (DatabaseUnavailableException ex)
        {
            // Unreachable server, bad connection string, a database newer than this build: one line, no password.
            await stderr.WriteLineAsync($"error: {ex.Message}");
            return StartFailed;
        }

        app.MapChannelService();
        try
        {
            await app.RunAsync();
        }
        catch (IOException ex) when (ex.InnerException is AddressInUseException)
        {
            // Kestrel names the endpoint only in its message: "Failed to bind to address http://127.0.0.1:5080: address already in use."
            var address = BindFailure().Match(ex.Message) is { Success: true } m ? m.Groups["address"].Value : "the configured address";
            await stderr.WriteLineAsync($"error: cannot listen on {address}: the address is already in use (is another program or service on that port?)");
            return StartFailed;
        }

        return 0;
    }

    [GeneratedRegex(@"address (?<address>\S+?): address already in use", RegexOptions.IgnoreCase)]
    private static partial Regex BindFailure();
}
