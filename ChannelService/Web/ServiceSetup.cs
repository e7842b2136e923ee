using ChannelService.Accounts;
using ChannelService.Admin;
using ChannelService.Configuration;
using ChannelService.Data;
using ChannelService.Manifest;
using ChannelService.Sources.Http;
using ChannelService.Zendesk;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc.Razor;
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
        builder.Services.AddAccounts();
        builder.Services.AddAdminUi();
        builder.Services.AddSingleton<ChannelService.Sources.SourceItemStore>();
        builder.Services.AddSingleton<ChannelService.Sources.CalDav.ICalDavEtagStore>(s =>
            new ChannelService.Sources.CalDav.SqliteCalDavEtagStore(s.GetRequiredService<Database>(), s.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ChannelService.Sources.ISourceFactory>(s => new ChannelService.Sources.SourceFactory(
            s.GetRequiredService<ChannelService.Sources.Http.SourceHttpClient>(),
            s.GetRequiredService<ChannelService.Sources.SourceItemStore>(),
            s.GetRequiredService<ChannelService.Sources.CalDav.ICalDavEtagStore>(),
            s.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<Files.FileLinks>();
        builder.Services.AddSingleton(new Pull.ParsedItemCache());
        builder.Services.AddSingleton(s => new Pull.PullService(
            s.GetRequiredService<Database>(),
            s.GetRequiredService<ChannelService.Sources.SourceItemStore>(),
            s.GetRequiredService<ChannelService.Sources.ISourceFactory>(),
            s.GetRequiredService<PullStateCodec>(),
            s.GetRequiredService<TimeProvider>(),
            s.GetRequiredService<ILogger<Pull.PullService>>(),
            s.GetRequiredService<Files.FileLinks>(),
            s.GetRequiredService<IOptions<ChannelOptions>>().Value.BaseUri,
            s.GetRequiredService<Pull.ParsedItemCache>()));
        builder.Services.AddSingleton<Pull.InboxPull>();
        builder.Services.AddSingleton<Channelback.ChannelbackService>();
        builder.Services.AddSingleton<Clickthrough.ClickthroughService>();
        builder.Services.AddZendeskPush();
        builder.Services.AddControllersWithViews()
            .ConfigureApplicationPartManager(parts => parts.FeatureProviders.Add(new InternalControllerFeatureProvider()))
            .AddJsonOptions(o => JsonDefaults.Configure(o.JsonSerializerOptions));

        // Feature folders: a controller's views sit beside it (About/Index.cshtml); the layout stays in Views/Shared.
        builder.Services.Configure<RazorViewEngineOptions>(o => o.ViewLocationFormats.Insert(0, "/{1}/{0}" + RazorViewEngine.ViewExtension));

        // Behind a TLS reverse proxy the request arrives as http from the proxy: believe its X-Forwarded-* headers,
        // but only from the proxies the operator trusts (loopback by default), so nobody else can claim https.
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ChannelOptions>>((forwarded, channel) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var network in channel.Value.TrustedProxyNetworks())
            {
                forwarded.KnownIPNetworks.Add(network);
            }
        });
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

        // Loading the key ring here creates keys.json on first start, and a broken key file stops the service
        // before it answers any request rather than failing every pull.
        app.Services.GetRequiredService<KeyRing>();
    }

    public static WebApplication MapChannelService(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseFramingPolicy();
        app.UseJsonErrors();
        app.UseStaticFiles();
        app.UseZendeskLogScope();
        app.UseAdminLocalization();
        app.MapControllers();
        return app;
    }
}
