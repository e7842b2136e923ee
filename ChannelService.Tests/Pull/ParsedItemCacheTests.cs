using ChannelService.Calendars;
using ChannelService.Pull;
using ChannelService.Sources;

namespace ChannelService.Tests.Pull;

public sealed class ParsedItemCacheTests
{
    private static ParsedSourceItem Parsed(string summary)
    {
        var parse = IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes($"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:u\r\nSUMMARY:{summary}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"));
        return new ParsedSourceItem(CalendarItemReader.Read(parse.Roots[0].Components[0]), null, new Dictionary<string, CalendarComponent>());
    }

    [Test]
    public void An_Entry_Is_Found_Only_For_Its_Account_Key_And_Content_Version()
    {
        var cache = new ParsedItemCache(ParsedItemCache.DefaultCapacity);
        cache.Put("acct", "k", "v1", Parsed("one"));

        Assert.That(cache.Get("acct", "k", "v1")!.Parsed.Item.Summary, Is.EqualTo("one"));
        Assert.That(cache.Get("acct", "k", "v2"), Is.Null, "another version of the item");
        Assert.That(cache.Get("other", "k", "v1"), Is.Null, "another account");

        cache.Put("acct", "k", "v2", Parsed("two"));
        Assert.That(cache.Get("acct", "k", "v1"), Is.Null, "a new version replaces the old one");
        Assert.That(cache.Get("acct", "k", "v2")!.Parsed.Item.Summary, Is.EqualTo("two"));
    }

    [Test]
    public void Beyond_Its_Capacity_It_Drops_The_Least_Recently_Used_Entries()
    {
        var cache = new ParsedItemCache(capacity: 8);
        var item = Parsed("x");
        for (var i = 0; i < 8; i++)
        {
            cache.Put("acct", $"k{i}", "v", item);
        }

        Assert.That(cache.Get("acct", "k0", "v"), Is.Not.Null); // k0 is now the most recently used
        cache.Put("acct", "k8", "v", item);

        Assert.That(cache.Count, Is.LessThanOrEqualTo(8));
        Assert.That(cache.Get("acct", "k0", "v"), Is.Not.Null);
        Assert.That(cache.Get("acct", "k8", "v"), Is.Not.Null);
        Assert.That(cache.Get("acct", "k1", "v"), Is.Null, "the oldest unused entry went first");
    }
}
