using System.Reflection;
using System.Text.RegularExpressions;
using ChannelService.Events;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Tests.Web;

/// <summary>
/// Controllers (and event handlers) take what they need by constructor (style.md §17) and share one visibility:
/// internal sealed, found by the service's InternalControllerFeatureProvider.
/// </summary>
public sealed partial class ControllerConventionTests
{
    private static readonly Assembly Service = typeof(ChannelService.Web.ServiceSetup).Assembly;

    private static IEnumerable<Type> Controllers() => Service.GetTypes().Where(t => typeof(ControllerBase).IsAssignableFrom(t) && !t.IsAbstract);

    [Test]
    public void Every_Controller_Is_Internal_And_Sealed()
    {
        var controllers = Controllers().ToList();

        Assert.That(controllers, Has.Count.GreaterThanOrEqualTo(13));
        Assert.That(controllers.Where(t => t.IsPublic || !t.IsSealed).Select(t => t.Name), Is.Empty);
    }

    [Test]
    public void No_Controller_Or_Event_Handler_Takes_The_Service_Provider()
    {
        var locators = Controllers()
            .Concat(Service.GetTypes().Where(t => typeof(IEventHandler).IsAssignableFrom(t) && !t.IsInterface))
            .Where(t => t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(IServiceProvider))))
            .Select(t => t.Name);

        Assert.That(locators, Is.Empty);
    }

    [Test]
    public void No_Controller_Or_Event_Handler_Locates_Its_Services()
    {
        // Arrange: the source files holding controllers and event handlers.
        var folder = Path.Combine(TestPaths.RepositoryRoot, "ChannelService");
        var files = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => f.EndsWith("Controller.cs", StringComparison.Ordinal) || f.Contains($"{Path.DirectorySeparatorChar}Events{Path.DirectorySeparatorChar}Handlers{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        // Act
        var located = files.SelectMany(f => ServiceLocation().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetFileName(f)}: {m.Value}")).ToList();

        // Assert
        Assert.That(files, Has.Count.GreaterThanOrEqualTo(14));
        Assert.That(located, Is.Empty);
    }

    [GeneratedRegex(@"GetRequiredService|GetService|RequestServices|IServiceProvider")]
    private static partial Regex ServiceLocation();
}
