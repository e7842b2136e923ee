using ChannelService.Accounts;

namespace ChannelService.Tests.Accounts;

public sealed class AccountOptionsTests
{
    [Test]
    public void Defaults_Match_The_Documented_Values()
    {
        var options = AccountOptions.Parse([]);

        Assert.Multiple(() =>
        {
            Assert.That(options.Tasks, Is.EqualTo(TaskScope.Open));
            Assert.That(options.WindowPastDays, Is.EqualTo(1));
            Assert.That(options.WindowFutureDays, Is.EqualTo(30));
            Assert.That(options.Recurring, Is.EqualTo(RecurrenceMode.Occurrence));
            Assert.That(options.TimeZone, Is.Null);
            Assert.That(options.AuthorName, Is.Null);
            Assert.That(options.ChangeNotes, Is.EqualTo(ChangeNoteVisibility.Public));
            Assert.That(options.ReplyCommands, Is.True);
            Assert.That(options.ReplyTarget, Is.EqualTo(ReplyTarget.Both));
            Assert.That(options.EventReplies, Is.False);
            Assert.That(options.CustomFields, Is.Empty);
            Assert.That(options.ToDictionary(), Is.Empty);
        });
    }

    [Test]
    public void Every_Option_Can_Be_Set_And_Round_Trips_Through_Its_Dictionary()
    {
        var values = new Dictionary<string, string>
        {
            ["tasks"] = "all",
            ["window_past_days"] = "0",
            ["window_future_days"] = "3650",
            ["recurring"] = "series",
            ["time_zone"] = "America/New_York",
            ["author_name"] = "Reception desk",
            ["change_notes"] = "internal",
            ["reply_commands"] = "off",
            ["reply_target"] = "description",
            ["event_replies"] = "on",
            ["locale"] = "de-CH",
            ["custom_fields"] = """{"360012345678":"X-PRIORITY-CLASS","7":"CATEGORIES"}""",
        };

        var options = AccountOptions.Parse(values);

        Assert.That(options.ToDictionary(), Is.EquivalentTo(values.Select(kv => kv.Key == "custom_fields" ? new KeyValuePair<string, string>(kv.Key, """{"7":"CATEGORIES","360012345678":"X-PRIORITY-CLASS"}""") : kv)));
        Assert.That(AccountOptions.Parse(options.ToDictionary()), Is.EqualTo(options));
        Assert.That(options.ToDictionary(includeDefaults: true).Keys, Is.EquivalentTo(AccountOptions.Keys));
    }

    [Test]
    public void Unknown_Keys_Are_Refused_With_The_Key_Named()
    {
        var ex = Assert.Throws<AccountOptionsException>(() => AccountOptions.Parse([new("colour", "blue")]));

        Assert.That(ex!.Message, Does.Contain("'colour'").And.Contain("tasks"));
    }

    [TestCase("tasks", "closed", "open|all")]
    [TestCase("tasks", "ALL", "open|all")]
    [TestCase("window_past_days", "-1", "0 to 3650")]
    [TestCase("window_past_days", "3651", "0 to 3650")]
    [TestCase("window_future_days", "1e3", "0 to 3650")]
    [TestCase("window_future_days", "99999999999", "0 to 3650")]
    [TestCase("recurring", "both", "occurrence|series")]
    [TestCase("locale", "xx-nowhere-at-all", "language tag")]
    [TestCase("locale", "de_DE", "language tag")]
    [TestCase("time_zone", "Mars/Olympus", "IANA")]
    [TestCase("time_zone", "W. Europe Standard Time", "IANA")]
    [TestCase("change_notes", "private", "public|internal")]
    [TestCase("reply_commands", "yes", "on or off")]
    [TestCase("reply_target", "all", "comment|description|both")]
    [TestCase("event_replies", "true", "on or off")]
    [TestCase("custom_fields", "[1,2]", "JSON object")]
    [TestCase("custom_fields", "{\"abc\":\"X\"}", "field ids")]
    [TestCase("custom_fields", "{\"0\":\"X\"}", "field ids")]
    [TestCase("custom_fields", "{\"12\":\"X PROP\"}", "property name")]
    [TestCase("custom_fields", "{\"12\":5}", "property name")]
    [TestCase("custom_fields", "{\"12\":\"A\",\"12\":\"B\"}", "more than once")]
    [TestCase("custom_fields", "{not json", "JSON object")]
    public void Bad_Values_Are_Refused_With_The_Key_And_The_Allowed_Values(string key, string value, string expected)
    {
        var ex = Assert.Throws<AccountOptionsException>(() => AccountOptions.Parse([new(key, value)]));

        Assert.That(ex!.Message, Does.Contain(key).And.Contain(expected));
    }

    [Test]
    public void The_Same_Key_Twice_Is_Refused()
    {
        Assert.That(() => AccountOptions.Parse([new("tasks", "all"), new("tasks", "open")]), Throws.TypeOf<AccountOptionsException>().With.Message.Contains("more than once"));
    }

    [Test]
    public void Too_Many_Custom_Fields_Are_Refused()
    {
        var json = "{" + string.Join(",", Enumerable.Range(1, AccountOptions.MaxCustomFields + 1).Select(i => $"\"{i}\":\"X-F{i}\"")) + "}";

        Assert.That(() => AccountOptions.Parse([new("custom_fields", json)]), Throws.TypeOf<AccountOptionsException>().With.Message.Contains("at most"));
    }

    [Test]
    public void An_Empty_Value_Resets_Text_Options_To_Their_Default()
    {
        var options = AccountOptions.Parse([new("time_zone", "Europe/Paris"), new("author_name", "Desk")]);

        Assert.That(options.With("time_zone", "").With("author_name", " "), Is.EqualTo(AccountOptions.Default));
    }
}
