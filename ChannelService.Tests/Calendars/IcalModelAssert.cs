using ChannelService.Calendars;

namespace ChannelService.Tests.Calendars;

/// <summary>Compares two models by what they mean: names, parameters, raw values and structure (not lines or raw text).</summary>
internal static class IcalModelAssert
{
    public static void AreEqual(IReadOnlyList<CalendarComponent> expected, IReadOnlyList<CalendarComponent> actual, string path = "")
    {
        Assert.That(actual.Select(c => c.Name), Is.EqualTo(expected.Select(c => c.Name)), $"components at {path}/");
        for (var i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            var here = $"{path}/{e.Name}[{i}]";
            Assert.That(a.Properties.Select(Describe), Is.EqualTo(e.Properties.Select(Describe)), here);
            AreEqual(e.Components, a.Components, here);
        }
    }

    private static string Describe(CalendarProperty p) =>
        p.Name + string.Concat(p.Parameters.Select(x => $";{x.Name}[{x.Count}]=" + string.Join("|", x.Values))) + ":" + p.RawValue;
}
