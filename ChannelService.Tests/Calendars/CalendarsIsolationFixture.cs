// Types that use another namespace in every way the compiled check must see, for CalendarsIsolationTests.
#pragma warning disable CA1822, CA1812, CA1852, CA1018, CA1813, CS0649, IDE0051, IDE0052

namespace ChannelService.Tests.Calendars.IsolationFixture.Outside
{
    internal static class Helper
    {
        public static int Value() => 1;
    }

    internal sealed class Thing
    {
        public int Size { get; set; }
    }

    internal sealed class MarkerAttribute : Attribute;

    internal class Parent;

    internal sealed class OutsideException : Exception;
}

namespace ChannelService.Tests.Calendars.IsolationFixture.Inside
{
    using ChannelService.Tests.Calendars.IsolationFixture.Outside;

    internal sealed class Clean
    {
        private readonly List<int> values = [];

        public int Run() => values.Count + Local();

        private static int Local() => Environment.ProcessorCount;
    }

    internal sealed class ViaField
    {
        private Thing? thing;

        public int Run() => thing is null ? 0 : 1;
    }

    internal sealed class ViaSignature
    {
        public static int Run(Thing thing) => thing is null ? 0 : 1;
    }

    internal static class ViaStaticCall
    {
        public static int Run() => Helper.Value();
    }

    internal static class ViaLambda
    {
        public static Func<int> Run() => () => Helper.Value();
    }

    internal static class ViaAsync
    {
        public static async Task<int> Run()
        {
            await Task.Yield();
            return Helper.Value();
        }
    }

    internal static class ViaTypeof
    {
        public static string Run() => typeof(Thing).Name;
    }

    internal static class ViaGenericArgument
    {
        public static int Run() => new List<Thing>().Count;
    }

    internal static class ViaCatch
    {
        public static int Run()
        {
            try
            {
                return Environment.ProcessorCount;
            }
            catch (OutsideException)
            {
                return 0;
            }
        }
    }

    [Marker]
    internal sealed class ViaAttribute;

    internal sealed class ViaBaseType : Parent;
}
