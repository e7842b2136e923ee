using System.Net;
using ChannelService.Accounts;
using ChannelService.Sources;
using ChannelService.Sources.Feeds;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Pull;

/// <summary>When the rest of a large first read is stored (issue 15, Performance: the first page from a fresh service).</summary>
public sealed partial class PullScenarioTests
{
    /// <summary>
    /// The rest of a first read parses the whole feed again; begun beside the answer it would share the CPU with the
    /// answer's own work and pause it for its garbage collections. It begins once the response has gone out: here the
    /// response is held open after the controller has written it, and the rest must not begin while it is.
    /// </summary>
    [Test]
    public async Task The_Rest_Of_A_Large_First_Read_Is_Stored_Only_After_The_Answer_Has_Gone_Out()
    {
        var restBegan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var beganWhileAnswering = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var observed = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton<ISourceFactory>(sp => new ObservedCompletionFactory(sp, restBegan));

            // Outermost: after the controller has answered, the response stays open for a second or until the rest begins.
            s.AddSingleton<IStartupFilter>(new HoldResponseOpen(async () =>
            {
                var first = await System.Threading.Tasks.Task.WhenAny(restBegan.Task, System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(1)));
                beganWhileAnswering.TrySetResult(first == restBegan.Task);
            }));
        }));
        client.Dispose();
        client = observed.CreateClient();
        var codec = observed.Services.GetRequiredService<MetadataCodec>();
        var metadata = codec.Encode(new NewAccountRequest("ics", feed.Url, null, null, "Team calendar", []).Create(TimeProvider.System));
        feed.Body = Calendar(Enumerable.Range(0, 600).Select(i => Task($"t{i:D3}", $"Task {i:D3}")).ToArray());
        var zendesk = new FakeZendesk();

        var (status, first) = await PullAsync(metadata, null);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(first!["external_resources"]!.AsArray(), Has.Count.EqualTo(200));
        Assert.That(await beganWhileAnswering.Task, Is.False, "the rest of the first read began while the answer was still going out");
        await restBegan.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Nothing of the protocol changed: the rest follows exactly once.
        zendesk.Apply(first);
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(600));
        Assert.That(zendesk.Duplicates, Is.Zero);
    }

    /// <summary>Runs <paramref name="afterAnswer"/> after the rest of the pipeline has written its response, before the response completes.</summary>
    private sealed class HoldResponseOpen(Func<Task> afterAnswer) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext context, RequestDelegate inner) =>
            {
                await inner(context);
                if (context.Request.Path == "/pull")
                {
                    await afterAnswer();
                }
            });
            next(app);
        };
    }

    /// <summary>The service's sources, telling when the rest of a first read begins to be built.</summary>
    private sealed class ObservedCompletionFactory(IServiceProvider services, TaskCompletionSource restBegan) : ISourceFactory
    {
        private readonly SourceFactory real = CalDavRoutingSourceFactory.Real(services);

        public ISource Create(AccountMetadata account) => new ObservedSource((IcsFeedSource)real.Create(account), restBegan);

        private sealed class ObservedSource(IcsFeedSource inner, TaskCompletionSource restBegan) : ISource, IFirstReadSource
        {
            public SourceKind Kind => inner.Kind;

            public SourceCapabilities Capabilities => inner.Capabilities;

            public async Task<FirstRead?> BeginFirstReadAsync(CancellationToken cancellationToken = default) =>
                await inner.BeginFirstReadAsync(cancellationToken) is { } read
                    ? read with
                    {
                        Complete = () =>
                        {
                            restBegan.TrySetResult();
                            return read.Complete();
                        },
                    }
                    : null;

            public Task<SourceChanges> ReadChangesAsync(string? cursor, CancellationToken cancellationToken = default) => inner.ReadChangesAsync(cursor, cancellationToken);

            public Task<SourceItem?> ReadItemAsync(string itemKey, CancellationToken cancellationToken = default) => inner.ReadItemAsync(itemKey, cancellationToken);

            public Task<SourceWriteResult> WriteCommentAsync(SourceCommentWrite comment, CancellationToken cancellationToken = default) => inner.WriteCommentAsync(comment, cancellationToken);

            public Task<SourceWriteResult> ChangeTaskStatusAsync(SourceTaskStatusWrite change, CancellationToken cancellationToken = default) => inner.ChangeTaskStatusAsync(change, cancellationToken);

            public Task<SourceWriteResult> ChangeTaskDueAsync(SourceTaskDueWrite change, CancellationToken cancellationToken = default) => inner.ChangeTaskDueAsync(change, cancellationToken);

            public Uri? WebUrl(SourceItem item) => inner.WebUrl(item);

            public Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken = default) => inner.ProbeAsync(cancellationToken);
        }
    }
}
