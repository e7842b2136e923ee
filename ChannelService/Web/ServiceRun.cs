using System.Text.RegularExpressions;
using ChannelService.Accounts;
using ChannelService.Data;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Options;

namespace ChannelService.Web;

/// <summary>
/// Runs the service process. A start that fails because the data folder is in use or the port is taken ends with one
/// line on standard error and exit code 1, not a stack trace; one service per data folder. Invalid settings end the
/// same way, one line per setting (<see cref="ServiceSetup.PrepareAsync"/> throws for them, which test hosts expect).
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

        // Asked before the start: a failed start disposes the host's services.
        var testHost = InTestHost(app);
        try
        {
            await app.PrepareAsync();
            app.MapChannelService();
            await StartAsync(app);
            await app.WaitForShutdownAsync();
            await app.DisposeAsync();
        }
        catch (DatabaseUnavailableException ex)
        {
            // Unreachable server, bad connection string, a database newer than this build: one line, no password.
            await stderr.WriteLineAsync($"error: {OneLine(ex.Message)}");
            return StartFailed;
        }
        catch (Exception ex) when (!testHost && InvalidSettings(ex) is { Count: > 0 } failures)
        {
            // Each failure names its setting (Channel:PublicBaseUrl ...): an operator's typo, not a crash to debug.
            foreach (var failure in failures)
            {
                await stderr.WriteLineAsync($"error: invalid setting: {OneLine(failure)}");
            }

            return StartFailed;
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

    /// <summary>
    /// Starts the host; when the start fails (a busy port), stops what had started and disposes the host (as
    /// <c>RunAsync</c> would) before rethrowing. Without the stop,
    /// disposing the host cancels the background services that were already running, and the host reports each one
    /// that ends cancelled as a crashed service (a critical log line with a stack trace): it forgives a cancellation
    /// only after a stop was asked for.
    /// </summary>
    private static async Task StartAsync(WebApplication app)
    {
        try
        {
            await app.StartAsync();
        }
        catch
        {
            try
            {
                await app.StopAsync(CancellationToken.None);
            }
            catch (Exception stopFailure) when (stopFailure is AggregateException or InvalidOperationException or OperationCanceledException or IOException)
            {
                // The start's own failure is the one to report; what a half-started service says while stopping adds nothing.
            }

            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The validation failures behind a failed start: options checked by <see cref="ServiceSetup.PrepareAsync"/> (wrapped
    /// there for test hosts) or by the host's start-up validation (several at once come as an AggregateException).
    /// </summary>
    private static List<string> InvalidSettings(Exception ex)
    {
        var failures = new List<string>();
        void Walk(Exception? e)
        {
            switch (e)
            {
                case null:
                    return;
                case OptionsValidationException validation:
                    failures.AddRange(validation.Failures);
                    return;
                case AggregateException aggregate:
                    foreach (var inner in aggregate.InnerExceptions)
                    {
                        Walk(inner);
                    }

                    return;
                default:
                    Walk(e.InnerException);
                    return;
            }
        }

        Walk(ex);
        return failures;
    }

    /// <summary>
    /// A test host (WebApplicationFactory runs this Main with its TestServer) learns of a failed start only from the
    /// exception, which its tests read; a real process gets the line instead.
    /// </summary>
    private static bool InTestHost(WebApplication app) =>
        app.Services.GetService<IServer>()?.GetType().Assembly.GetName().Name == "Microsoft.AspNetCore.TestHost";

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    [GeneratedRegex(@"address (?<address>\S+?): address already in use", RegexOptions.IgnoreCase)]
    private static partial Regex BindFailure();
}
