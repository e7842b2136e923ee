using ChannelService.Configuration;
using ChannelService.Data;
using ChannelService.Manifest;
using ChannelService.Sources.Http;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace ChannelService.Web;

/// <summary>Wiring for the web host: one extension per concern, called from Program.cs.</summary>
public static class ServiceSetup
{
    public static WebApplicationBuilder AddChannelService(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChannelOptions>()
            .Bind(builder.Configuration.GetSection(ChannelOptions.SectionName))
            .Validate(o => o.Validate(builder.Environment.IsDevelopment()).Count == 0, "invalid")
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);

        // ASP.NET Core's own data-protection keys (antiforgery) live with the rest of the service's data.
        // Resolved from the bound options, not read here: test hosts add their configuration at Build().
        builder.Services.AddDataProtection();
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IOptions<ChannelOptions>, ILoggerFactory>((keys, channel, loggers) =>
            keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(channel.Value.DataDirectoryFullPath, "aspnet-keys")), loggers));
        builder.Services.AddSingleton<Database>();
        builder.Services.AddSingleton<ManifestRenderer>();
        builder.Services.AddSourceHttp(builder.Configuration);
        builder.Services.AddSingleton<ChannelService.Sources.SourceItemStore>();
        builder.Services.AddControllersWithViews().AddJsonOptions(o => JsonDefaults.Configure(o.JsonSerializerOptions));
        return builder;
    }

    /// <summary>Fails start-up with every configuration problem spelled out, then prepares the database.</summary>
    public static async Task PrepareAsync(this WebApplication app)
    {
        var options = app.Configuration.GetSection(ChannelOptions.SectionName).Get<ChannelOptions>() ?? new ChannelOptions();
        var problems = options.Validate(app.Environment.IsDevelopment());
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)));
        }

        await app.Services.GetRequiredService<Database>().InitializeAsync();
    }

    public static WebApplication MapChannelService(this WebApplication app)
    {
        app.UseJsonErrors();
        app.UseZendeskLogScope();
        app.MapControllers();
        return app;
    }
}
