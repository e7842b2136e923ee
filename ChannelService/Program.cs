using ChannelService.Cli;
using ChannelService.Web;

if (CommandLine.IsCommand(args))
{
    return await CommandLine.RunAsync(args, CliConfiguration.Build(args), Console.In, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // The service must work when started from any directory (systemd, `dotnet /opt/x/ChannelService.dll`):
    // views, static files and the manifest template ship beside the assembly.
    ContentRootPath = AppContext.BaseDirectory,
});
builder.AddChannelService();
return await builder.RunChannelServiceAsync(Console.Error);

public partial class Program;
