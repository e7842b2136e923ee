using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Support;

/// <summary>
/// The real service in a test host, with its own data folder (fresh SQLite file) per instance.
/// Settings are passed as configuration so tests read like an operator's environment.
/// </summary>
internal sealed class ServiceFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;

    /// <param name="store">Null or SQLite: a fresh SQLite file in the data folder; PostgreSQL: a fresh database on the run's server.</param>
    public ServiceFactory(IDictionary<string, string?>? settings = null, string environment = "Production", TestStore? store = null)
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "channelservice-tests", Guid.NewGuid().ToString("N"));
        Environment = environment;
        this.settings = new Dictionary<string, string?>
        {
            ["Channel:PublicBaseUrl"] = "https://channel.example.com",
            ["Channel:DataDirectory"] = DataDirectory,
        };
        if (store?.NewSetting() is { } database)
        {
            this.settings["Channel:Database"] = database;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            this.settings[key] = value;
        }
    }

    public string DataDirectory { get; }

    public string Environment { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        foreach (var (key, value) in settings)
        {
            // UseSetting feeds host configuration, which the app's configuration sees before Program runs.
            builder.UseSetting(key, value);
        }

        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // SQLite may still hold the WAL file for a moment; the temp folder is cleaned by the OS.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
