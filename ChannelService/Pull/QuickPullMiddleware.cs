using ChannelService.Accounts;
using ChannelService.Metrics;
using ChannelService.Web;

namespace ChannelService.Pull;

/// <summary>
/// The no-change pull answered before routing, authentication and MVC (issue 15, Performance): a <c>POST /pull</c>
/// whose form carries metadata that decrypts and a state that verifies, for an account whose previous pull left a
/// no-change mark (<see cref="UnchangedPulls"/>), is answered here with the same JSON the controller would write, after
/// the same conditional request to the source. Everything else (no form, metadata or state that do not check out,
/// an inbox account, no mark, a source that changed or failed) goes on to <see cref="PullController"/> unchanged,
/// which answers it in full; the source is then not asked a second time for the same request.
/// </summary>
/// <remarks>A quick answer is counted (<c>channelservice.pulls</c>, result <c>unchanged</c>) and not timed: a counter add is all it costs.</remarks>
internal sealed class QuickPullMiddleware(RequestDelegate next, MetadataCodec metadata, PullStateCodec states, UnchangedPulls unchanged, ServiceMetrics metrics)
{
    /// <summary>Set in <see cref="HttpContext.Items"/> when this request already asked the source in vain.</summary>
    public static readonly object QuickPathTried = new();

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method) || !request.Path.Equals("/pull", StringComparison.OrdinalIgnoreCase) || !request.HasFormContentType)
        {
            await next(context);
            return;
        }

        // The form is read once: the authentication handler and the model binder read the same cached form later.
        var form = await request.ReadFormAsync(context.RequestAborted);
        if (!form.TryGetValue("metadata", out var posted) || posted.Count != 1 || string.IsNullOrEmpty(posted[0])
            || !metadata.TryDecode(posted[0], out var account, out _) || account.Kind == SourceKind.Inbox)
        {
            await next(context);
            return;
        }

        // As the controller binds it: the posted state, else the one in the query string.
        var stateText = form.TryGetValue("state", out var formState) && !string.IsNullOrEmpty(formState.ToString()) ? formState.ToString() : (string?)request.Query["state"];
        if (string.IsNullOrEmpty(stateText) || !states.TryDecode(stateText, account.AccountId, out var state, out _))
        {
            await next(context);
            return;
        }

        var answer = await unchanged.TryAnswerBytesAsync(account, state, stateText, context.RequestAborted);
        if (answer is null)
        {
            context.Items[QuickPathTried] = true;
            await next(context);
            return;
        }

        context.SetLogAccount(account.AccountId);
        metrics.Pull(account.Kind, PullResults.Unchanged);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = answer.Length;
        await response.Body.WriteAsync(answer, context.RequestAborted);
    }
}
