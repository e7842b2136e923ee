using ChannelService.Accounts;
using FluentValidation;

namespace ChannelService.Tests.Accounts;

public sealed class NewAccountRequestTests
{
    private static NewAccountRequest Valid(string kind = "caldav-tasks", string url = "https://dav.example.com/cal/anna/tasks/") =>
        new(kind, url, "anna", "secret", "Anna", [new("tasks", "all")]);

    [Test]
    public void A_Valid_Request_Becomes_An_Account_With_A_Fresh_Id()
    {
        var time = new ManualTime(Accounts.Start);

        var first = Valid().Create(time);
        var second = Valid().Create(time);

        Assert.That(AccountIds.IsValid(first.AccountId), Is.True);
        Assert.That(first.AccountId, Is.Not.EqualTo(second.AccountId));
        Assert.That(first.Kind, Is.EqualTo(SourceKind.CalDavTasks));
        Assert.That(first.Options.Tasks, Is.EqualTo(TaskScope.All));
        Assert.That(first.CreatedAt, Is.EqualTo(Accounts.Start));
    }

    [TestCase("ics", "webcal://calendar.example.org/public/basic.ics")]
    [TestCase("ics", "http://calendar.example.org/feed.ics")]
    [TestCase("caldav-calendar", "https://[2001:db8::1]:5232/anna/cal/")]
    [TestCase("inbox", "https://hooks.example.net/zendesk/replies")]
    public void Accepted_Urls(string kind, string url)
    {
        Assert.That(new NewAccountRequestValidator().Validate(Valid(kind, url)).IsValid, Is.True);
    }

    [TestCase("caldav-tasks", "dav.example.com/tasks", "absolute")]
    [TestCase("caldav-tasks", "/calendars/anna", "absolute")]
    [TestCase("caldav-tasks", "ftp://dav.example.com/", "http or https")]
    [TestCase("caldav-tasks", "webcal://dav.example.com/", "http or https")]
    [TestCase("caldav-tasks", "file:///etc/passwd", "absolute")]
    [TestCase("ics", "https://anna:pw@example.org/feed.ics", "user name or password")]
    [TestCase("ics", "", "required")]
    public void Refused_Urls_Name_The_Problem_Without_Echoing_The_Url(string kind, string url, string expected)
    {
        var result = new NewAccountRequestValidator().Validate(Valid(kind, url));

        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Errors.Select(e => e.ErrorMessage), Has.Some.Contains(expected));
        Assert.That(result.Errors.Select(e => e.ErrorMessage), Has.None.Contains("pw@"));
    }

    [Test]
    public void An_Unknown_Kind_Is_Refused()
    {
        var result = new NewAccountRequestValidator().Validate(Valid("caldav"));

        Assert.That(result.Errors.Single().ErrorMessage, Does.Contain("caldav-tasks|caldav-calendar|ics|inbox"));
    }

    [Test]
    public void Over_Long_Fields_And_Unknown_Options_Are_Refused()
    {
        var request = new NewAccountRequest("ics", "https://example.org/" + new string('a', 1000), new string('u', 201), new string('p', 1001), new string('n', 101), [new("colour", "red")]);

        var messages = new NewAccountRequestValidator().Validate(request).Errors.Select(e => e.ErrorMessage).ToArray();

        Assert.That(messages, Has.Some.Contains("url must be at most"));
        Assert.That(messages, Has.Some.Contains("username must be at most"));
        Assert.That(messages, Has.Some.Contains("password must be at most"));
        Assert.That(messages, Has.Some.Contains("name must be at most"));
        Assert.That(messages, Has.Some.Contains("'colour'"));
    }

    [Test]
    public void Create_Throws_A_Validation_Exception_For_Bad_Input()
    {
        Assert.That(() => Valid("nope").Create(TimeProvider.System), Throws.TypeOf<ValidationException>());
    }
}
