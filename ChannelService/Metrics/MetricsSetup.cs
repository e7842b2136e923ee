using ChannelService.Configuration;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace ChannelService.Metrics;

/// <summary>Wiring of the metrics: the meter's instruments, the Prometheus endpoint and, when configured, OTLP export.</summary>
internal static class MetricsSetup
{
    public const string ScrapePath = "/metrics";

    public static IServiceCollection AddServiceMetrics(this IServiceCollection services)
    {
        services.AddSingleton<OutboxBacklog>();
        services.AddSingleton<ServiceMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(ServiceMetrics.MeterName);

            // Every scrape collects anew: the endpoint is behind the dashboard's credentials, so nobody else can make
            // it work hard, and a cached answer would hide what happened in the last few hundred milliseconds.
            metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);

        });

        // OTLP only when configured: decided from the bound settings at start, because a test host adds its
        // configuration at Build(), after this runs.
        services.AddHostedService<OtlpExport>();
        return services;
    }

    /// <summary>The Prometheus text exposition at <c>/metrics</c>, behind <see cref="MetricsAccessMiddleware"/>.</summary>
    public static IApplicationBuilder UseMetricsEndpoint(this IApplicationBuilder app) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: null,
            path: ScrapePath,
            configureBranchedPipeline: branch => branch.UseMiddleware<MetricsAccessMiddleware>(),
            optionsName: null);

    /// <summary>
    /// The OTLP export when <c>Channel:OtlpEndpoint</c> is set: a meter provider of its own over the same meter, with a
    /// periodic reader; stopping the service disposes it, which sends the last figures.
    /// </summary>
    private sealed class OtlpExport(IOptions<ChannelOptions> options) : IHostedService, IDisposable
    {
        private MeterProvider? provider;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            var settings = options.Value;
            if (settings.OtlpEndpointUri is { } endpoint)
            {
                // OTLP over HTTP with protobuf (https://opentelemetry.io/docs/specs/otlp/#otlphttp): the endpoint is the
                // collector's full metrics URL, used as given (…:4318/v1/metrics). Cumulative temporality, as Prometheus.
                var exporter = new OtlpMetricExporter(new OtlpExporterOptions { Endpoint = endpoint, Protocol = OtlpExportProtocol.HttpProtobuf });
                var interval = (int)settings.OtlpExportInterval.TotalMilliseconds;
                provider = OpenTelemetry.Sdk.CreateMeterProviderBuilder()
                    .AddMeter(ServiceMetrics.MeterName)
                    .AddReader(new PeriodicExportingMetricReader(exporter, interval, Math.Min(interval, 30_000)))
                    .Build();
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            Dispose();
            return Task.CompletedTask;
        }

        public void Dispose()
        {
            Interlocked.Exchange(ref provider, null)?.Dispose();
        }
    }
}
