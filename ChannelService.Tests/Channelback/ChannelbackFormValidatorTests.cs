using ChannelService.Channelback;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace ChannelService.Tests.Channelback;

/// <summary>The channelback form (spec §4) read once and checked by its validator, first problem first.</summary>
public sealed class ChannelbackFormValidatorTests
{
    private static ChannelbackForm Form(params (string Key, string[] Values)[] fields) =>
        ChannelbackForm.FromForm(new FormCollection(fields.ToDictionary(f => f.Key, f => new StringValues(f.Values))));

    private static string? FirstProblem(ChannelbackForm form) => new ChannelbackFormValidator().Validate(form).Errors.FirstOrDefault()?.ErrorMessage;

    [Test]
    public void A_Complete_Reply_Is_Valid_And_Keeps_Every_File_Url()
    {
        var form = Form(
            ("message", ["Thanks"]),
            ("thread_id", ["acct-thread"]),
            ("request_unique_identifier", [" req-1 "]),
            ("file_urls[]", ["https://z.example.com/a", "https://z.example.com/b"]),
            ("file_urls", ["https://z.example.com/c"]));

        Assert.That(FirstProblem(form), Is.Null);
        Assert.That(form.RequestId, Is.EqualTo("req-1"));
        Assert.That(form.FileUrls, Is.EqualTo(new[] { "https://z.example.com/a", "https://z.example.com/b", "https://z.example.com/c" }));
    }

    [Test]
    public void Not_A_Form_Post_Is_Said_First()
    {
        Assert.That(FirstProblem(ChannelbackForm.FromForm(null)), Is.EqualTo("A channelback is a form post (application/x-www-form-urlencoded)."));
    }

    [TestCase(null, "req", "t", "message is missing.")]
    [TestCase("hi", null, "t", "request_unique_identifier is missing.")]
    [TestCase("hi", "req\u0001", "t", "request_unique_identifier contains control characters.")]
    [TestCase("hi", "req", null, "thread_id is missing.")]
    public void The_First_Missing_Or_Bad_Field_Is_Named(string? message, string? requestId, string? threadId, string expected)
    {
        var fields = new List<(string, string[])>();
        if (message is not null)
        {
            fields.Add(("message", [message]));
        }

        if (requestId is not null)
        {
            fields.Add(("request_unique_identifier", [requestId]));
        }

        if (threadId is not null)
        {
            fields.Add(("thread_id", [threadId]));
        }

        Assert.That(FirstProblem(Form([.. fields])), Is.EqualTo(expected));
    }

    [Test]
    public void Limits_From_The_Channelback_Request_Table_Hold()
    {
        Assert.Multiple(() =>
        {
            Assert.That(FirstProblem(Form(("message", [new string('m', 65536)]), ("request_unique_identifier", ["r"]), ("thread_id", ["t"]))), Is.EqualTo("message is longer than 65535 characters."));
            Assert.That(FirstProblem(Form(("message", ["m"]), ("request_unique_identifier", [new string('r', 256)]), ("thread_id", ["t"]))), Is.EqualTo("request_unique_identifier is longer than 255 characters."));
            Assert.That(FirstProblem(Form(("message", ["m"]), ("request_unique_identifier", ["r"]), ("parent_id", [new string('p', 512)]))), Is.EqualTo("thread_id or parent_id is longer than 511 characters."));
            Assert.That(FirstProblem(Form(("message", ["m"]), ("request_unique_identifier", ["r"]), ("thread_id", ["t"]), ("file_urls[]", Enumerable.Repeat("https://z.example.com/f", 51).ToArray()))), Is.EqualTo("Too many file_urls."));
            Assert.That(FirstProblem(Form(("message", ["m"]), ("request_unique_identifier", ["r"]), ("thread_id", ["t"]), ("file_urls[]", ["ftp://z.example.com/f"]))), Is.EqualTo("Every file_urls[] entry must be an absolute http(s) URL."));
        });
    }
}
