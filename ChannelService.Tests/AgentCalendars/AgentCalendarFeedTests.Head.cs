using System.Net;
using ChannelService.AgentCalendars;

namespace ChannelService.Tests.AgentCalendars;

/// <summary>HEAD on both feed variants, as subscription dialogs probe an address before subscribing.</summary>
public sealed partial class AgentCalendarFeedTests
{
    [Test]
    public async Task Head_Answers_Like_Get_Without_A_Body_For_Both_Variants_With_ETag_304_And_404()
    {
        // Arrange
        SetTask(1234, new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero), AgentA);
        Start();
        await LinkAndSyncAsync();
        var (urlA, _) = await FeedUrlsAsync();

        foreach (var url in new[] { Local(urlA), Local(TasksUrl(urlA)) })
        {
            // Act
            using var get = await client.GetAsync(url);
            using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
            var headRequest = new HttpRequestMessage(HttpMethod.Head, url);
            headRequest.Headers.IfNoneMatch.Add(get.Headers.ETag!);
            using var unchanged = await client.SendAsync(headRequest);
            var body = await get.Content.ReadAsByteArrayAsync();

            // Assert
            Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK), url);
            Assert.That(await head.Content.ReadAsByteArrayAsync(), Is.Empty);
            Assert.That(head.Headers.ETag, Is.EqualTo(get.Headers.ETag));
            Assert.That(head.Content.Headers.ContentType?.ToString(), Is.EqualTo(get.Content.Headers.ContentType?.ToString()));
            Assert.That(head.Content.Headers.ContentLength, Is.EqualTo(body.Length));
            Assert.That(head.Headers.CacheControl?.ToString(), Is.EqualTo(get.Headers.CacheControl?.ToString()));
            Assert.That(unchanged.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
        }

        var unknown = serviceUrl + "/calendars/" + new string('A', AgentCalendarTokens.TokenLength);
        foreach (var url in new[] { unknown + ".ics", unknown + "/tasks.ics", serviceUrl + "/calendars/x.ics" })
        {
            using var getMissing = await client.GetAsync(url);
            using var headMissing = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));

            Assert.That((getMissing.StatusCode, headMissing.StatusCode), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound)), url);
            Assert.That(await headMissing.Content.ReadAsByteArrayAsync(), Is.Empty);
        }
    }
}
