namespace ChannelService.Cli;

/// <summary>Configuration for command-line runs: the same sources the web host reads.</summary>
internal static class CliConfiguration
{
    /// <param name="args">The whole command line; the host options before the command choose the environment (and
    /// are layered on top by <see cref="CommandLine.RunAsync"/>).</param>
    public static IConfiguration Build(IReadOnlyList<string> args)
    {
        var host = new ConfigurationBuilder().AddCommandLine([.. HostArguments.Split(args).Host]).Build();
        // As the web host: the command line, then ASPNETCORE_ENVIRONMENT over DOTNET_ENVIRONMENT.
        var environment = host["environment"]
            ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
    }
}
