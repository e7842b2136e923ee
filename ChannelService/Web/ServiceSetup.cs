using ChannelService.Accounts;
using ChannelService.Admin;
using ChannelService.AgentCalendars;
using ChannelService.Channelback;
using ChannelService.Clickthrough;
using ChannelService.Configuration;
using ChannelService.Data;
using ChannelService.Events;
using ChannelService.Files;
using ChannelService.Health;
using ChannelService.Inbox;
using ChannelService.Manifest;
using ChannelService.Metrics;
using ChannelService.Pull;
using ChannelService.Sources;
using ChannelService.Sources.CalDav;
using ChannelService.Sources.Http;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Changes;
using ChannelService.ZendeskLink.Status;
using ChannelService.ZendeskLink;
using FluentValidation;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Razor;
using Microsoft.Extensions.Options;

namespace ChannelService.Web;

/// <summary>Wiring for the web host: one extension per concern, called from Program.cs.</summary>
public static class ServiceSetup
{
    public static WebApplicationBuilder AddChannelService(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ChannelOptions>().BindChecked(builder.Configuration.GetSection(ChannelOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChannelOptions>, ChannelOptionsValidation>();
        services.AddSingleton(TimeProvider.System);

        // ASP.NET Core's own data-protection keys (antiforgery) live with the rest of the service's data; with a shared
        // key file (Channel:KeyFile, several instances behind one balancer) beside it, so a form one instance served
        // posts to another. Resolved from the bound options, not read here: test hosts add their configuration at Build().
        services.AddDataProtection().SetApplicationName("ChannelService");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<ChannelOptions>, ILoggerFactory>((keys, channel, loggers) =>
            keys.XmlRepository = new FileSystemXmlRepository(
                new DirectoryInfo(Path.Combine(
                    string.IsNullOrWhiteSpace(channel.Value.KeyFile) ? channel.Value.DataDirectoryFullPath : Path.GetDirectoryName(Path.GetFullPath(channel.Value.KeyFile))!,
                    "aspnet-keys")),
                loggers));

        // Every connection comes from Database; every table's SQL lives in its owner's store (README, "Layout").
        services.AddSingleton<Database>();
        services.AddSingleton<INamedLocks>(sp => sp.GetRequiredService<Database>() is { Dialect: SqlDialect.PostgreSql } postgres
            ? new PostgresNamedLocks(postgres)
            : new InProcessNamedLocks());
        services.AddSingleton<InstanceRegistry>();
        services.AddHostedService<InstanceHeartbeat>();
        services.AddSingleton<ManifestRenderer>();
        services.AddSourceHttp(builder.Configuration);
        services.AddAccounts();
        services.AddAdminUi();
        services.AddSingleton<SourceItemStore>();
        services.AddSingleton<ICalDavEtagStore, SqliteCalDavEtagStore>();
        services.AddSingleton<ISourceFactory, SourceFactory>();
        services.AddSingleton<FileLinks>();
        services.AddPull();
        services.AddChannelback();
        services.AddSingleton<ClickthroughService>();
        services.AddInbox();
        services.AddZendeskPush();
        services.AddEvents();
        services.AddServiceHealthChecks();
        services.AddSingleton<TableSizes>();
        services.AddServiceMetrics();
        services.AddSingleton<ChannelService.Retention.RetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<ChannelService.Retention.RetentionService>());

        // The Zendesk link (OAuth to the REST API, per subdomain): IZendeskLinkTokens for the API clients.
        services.AddZendeskLink();
        services.AddZendeskLinkApi();
        services.AddZendeskChangeFeed();
        services.AddTaskStatusSync();
        services.AddAgentCalendars();
        services.AddAccountAuthentication();
        services.AddJsonErrors();

        // One validation system: every request model's FluentValidation validator, run by ValidationFilter.
        services.AddValidatorsFromAssemblyContaining<ChannelOptionsValidator>(ServiceLifetime.Scoped, includeInternalTypes: true);
        services.AddControllersWithViews(mvc =>
            {
                mvc.Filters.Add<ValidationFilter>();
                mvc.ModelBinderProviders.Insert(0, new FormModelBinderProvider());
            })
            .ConfigureApiBehaviorOptions(api =>
            {
                // Every JSON error is {"error": …}: an [ApiController]'s bare NotFound() or Unauthorized() stays bodiless,
                // so UseJsonErrors' status code pages answer it, instead of becoming ASP.NET's ProblemDetails.
                api.SuppressMapClientErrors = true;
                api.InvalidModelStateResponseFactory = context => new BadRequestObjectResult(new ErrorResponse(
                    context.ModelState.FirstOrDefault(e => e.Value?.Errors.Count > 0) is { Key: var field } && field.Length > 0
                        ? $"The request's {field} could not be read."
                        : "The request could not be read."));
            })
            .ConfigureApplicationPartManager(parts => parts.FeatureProviders.Add(new InternalControllerFeatureProvider()))
            .AddJsonOptions(o => JsonDefaults.Configure(o.JsonSerializerOptions));

        // Feature folders: a controller's views sit beside it (About/Index.cshtml); the layout stays in Views/Shared.
        services.Configure<RazorViewEngineOptions>(o => o.ViewLocationFormats.Insert(0, "/{1}/{0}" + RazorViewEngine.ViewExtension));

        // Behind a TLS reverse proxy the request arrives as http from the proxy: believe its X-Forwarded-* headers,
        // but only from the proxies the operator trusts (loopback by default), so nobody else can claim https.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ChannelOptions>>((forwarded, channel) =>
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
        // Both settings classes bound from the Channel section, so one start reports every wrong value at once.
        var failures = new List<string>();
        foreach (var read in new Action[]
                 {
                     () => _ = app.Services.GetRequiredService<IOptions<ChannelOptions>>().Value,
                     () => _ = app.Services.GetRequiredService<IOptions<SourceHttpOptions>>().Value,
                 })
        {
            try
            {
                read();
            }
            catch (OptionsValidationException ex)
            {
                failures.AddRange(ex.Failures.Where(f => !failures.Contains(f)));
            }
        }

        if (failures.Count > 0)
        {
            throw new InvalidOperationException(
                "Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, failures.Select(p => "  - " + p)),
                new OptionsValidationException(Options.DefaultName, typeof(ChannelOptions), failures));
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

        // Operators' scrape, before the pull's quick path; behind the dashboard's credentials.
        app.UseMetricsEndpoint();

        // A no-change pull is answered here, before routing, authentication and MVC; anything else goes on.
        app.UseMiddleware<QuickPullMiddleware>();
        app.UseAdminLocalization();
        app.UseZendeskOAuthLocalization();

        // Routing after the admin UI's locale: that reads the posted form asynchronously, and the admin steps are
        // picked by the button in that form (AdminStepAttribute). Authentication (the metadata scheme) runs inside
        // the request's log scope, so the scope carries the account it proves.
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapControllers();
        app.MapServiceHealthChecks();
        return app;
    }
}
