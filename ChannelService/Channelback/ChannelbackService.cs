using System.Globalization;
using System.Text;
using ChannelService.Accounts;
using ChannelService.Data;
using ChannelService.Inbox;
using ChannelService.Metrics;
using ChannelService.Pull;
using ChannelService.Sources;
using ChannelService.Sources.Http;
using ChannelService.Tickets;
using ChannelService.Zendesk;

namespace ChannelService.Channelback;

/// <summary>The fields of <c>POST /channelback</c> (channel-framework.md §4), already length-checked.</summary>
internal sealed record ChannelbackRequest(string Message, string? ParentId, string? ThreadId, string? RecipientId, string RequestId, IReadOnlyList<string> FileUrls);

/// <summary>What a channelback came to: the reply's external id, or an HTTP status with a message for Zendesk.</summary>
internal abstract record ChannelbackOutcome
{
    public sealed record Accepted(string ExternalId, bool AllowChannelback) : ChannelbackOutcome;

    public sealed record Failed(int StatusCode, string Message, string? Detail = null) : ChannelbackOutcome;
}

/// <summary>
/// Writes an agent's reply back to where the ticket came from. The reply's id is
/// <see cref="ExternalIds.Reply"/> of thread and request id, and the CalDAV COMMENT carries the request id as
/// X-ZENDESK-COMMENT-ID, so the next pull maps the echo to the same id and Zendesk drops it (design §4).
/// A request id seen before answers the recorded id and writes nothing.
/// </summary>
internal sealed class ChannelbackService(
    ChannelbackRequestStore requests, PullMirrorStore mirror, ISourceFactory sources, SourceItemStore items, InboxReplySender inbox, ServiceErrors errors, INamedLocks locks, TimeProvider time, ServiceMetrics metrics)
{
    /// <summary>Zendesk's own timeout is undocumented (spec §4); the issue asks for an answer within 30 s.</summary>
    internal static readonly TimeSpan Budget = TimeSpan.FromSeconds(25);

    public async Task<ChannelbackOutcome> ReplyAsync(AccountMetadata account, ChannelbackRequest request, CancellationToken cancellationToken)
    {
        var outcome = await AnswerAsync(account, request, cancellationToken);

        // accepted (written now, or a repeat answered from the record), rejected (4xx: the request), failed (5xx: the source).
        metrics.Channelback(account.Kind, outcome switch
        {
            ChannelbackOutcome.Accepted => "accepted",
            ChannelbackOutcome.Failed { StatusCode: < 500 } => "rejected",
            _ => "failed",
        });
        return outcome;
    }

    private async Task<ChannelbackOutcome> AnswerAsync(AccountMetadata account, ChannelbackRequest request, CancellationToken cancellationToken)
    {
        if (account.Kind == SourceKind.Ics)
        {
            return new ChannelbackOutcome.Failed(
                StatusCodes.Status400BadRequest,
                "This account reads an iCalendar feed, which is read-only: replies cannot be written back to it. Reply to the requester by other means.");
        }

        var threadId = request.ThreadId ?? ThreadOf(request.ParentId, account.AccountId);
        var prefix = account.AccountId + "-";
        if (threadId is null || !threadId.StartsWith(prefix, StringComparison.Ordinal) || threadId.Length == prefix.Length)
        {
            return new ChannelbackOutcome.Failed(StatusCodes.Status400BadRequest, "thread_id is missing or does not belong to this account.");
        }

        var externalId = ExternalIds.Reply(threadId, request.RequestId);
        if (await requests.RecordedAsync(account.AccountId, request.RequestId, cancellationToken) is { } recorded)
        {
            return new ChannelbackOutcome.Accepted(recorded, true);
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Budget);

        // The same retry may reach two instances at once: one writes, the other waits and then finds it recorded.
        await using var held = await locks.TryAcquireAsync($"channelback:{account.AccountId}:{request.RequestId}", Budget, cancellationToken);
        if (held is null)
        {
            return new ChannelbackOutcome.Failed(StatusCodes.Status503ServiceUnavailable, "The same reply is being written by another request; it may be retried.");
        }

        if (await requests.RecordedAsync(account.AccountId, request.RequestId, cancellationToken) is { } recordedMeanwhile)
        {
            return new ChannelbackOutcome.Accepted(recordedMeanwhile, true);
        }
        ChannelbackOutcome outcome;
        try
        {
            outcome = account.Kind == SourceKind.Inbox
                ? await SendToInboxAsync(account, request, threadId, externalId, budget.Token)
                : await WriteToSourceAsync(account, request, threadId[prefix.Length..], externalId, budget.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ChannelbackOutcome.Failed(
                StatusCodes.Status503ServiceUnavailable,
                string.Create(CultureInfo.InvariantCulture, $"The source did not answer within {Budget.TotalSeconds:0} seconds; the reply may be retried."));
        }

        if (outcome is ChannelbackOutcome.Accepted)
        {
            await requests.RecordAsync(account.AccountId, request.RequestId, externalId, CancellationToken.None);
        }
        else if (outcome is ChannelbackOutcome.Failed { StatusCode: >= 500 } failed)
        {
            // The source's side failed, not the request: operators see it on the dashboard. Our own words only, no secrets.
            await errors.RecordAsync(account.AccountId, "channelback", failed.Message, CancellationToken.None);
        }

        return outcome;
    }

    /// <summary>The thread of a resource id we minted (<c>{account}-{unit}-…</c>), used when Zendesk sends no thread_id.</summary>
    private static string? ThreadOf(string? parentId, string accountId)
    {
        if (parentId is null || !parentId.StartsWith(accountId + "-", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = parentId[(accountId.Length + 1)..];
        var dash = rest.IndexOf('-', StringComparison.Ordinal);
        return dash <= 0 ? parentId : parentId[..(accountId.Length + 1 + dash)];
    }

    private async Task<ChannelbackOutcome> SendToInboxAsync(AccountMetadata account, ChannelbackRequest request, string threadId, string externalId, CancellationToken cancellationToken)
    {
        try
        {
            await inbox.SendAsync(
                account.AccountId,
                new InboxReply
                {
                    ExternalId = externalId,
                    ThreadId = threadId,
                    ParentId = request.ParentId,
                    Text = request.Message,
                    CreatedAt = time.GetUtcNow(),
                    FileUrls = request.FileUrls,
                },
                cancellationToken);
            return new ChannelbackOutcome.Accepted(externalId, true);
        }
        catch (InboxReplyException ex)
        {
            return new ChannelbackOutcome.Failed(StatusCodes.Status502BadGateway, ex.Message);
        }
    }

    private async Task<ChannelbackOutcome> WriteToSourceAsync(AccountMetadata account, ChannelbackRequest request, string unitKey, string externalId, CancellationToken cancellationToken)
    {
        var itemKey = await ItemKeyAsync(account.AccountId, unitKey, cancellationToken);
        if (itemKey is null)
        {
            return new ChannelbackOutcome.Failed(StatusCodes.Status404NotFound, "The item this ticket came from is not known to the service (any more).");
        }

        ReplyCommand? command = null;
        if (account.Kind == SourceKind.CalDavTasks && account.Options.ReplyCommands)
        {
            try
            {
                command = ReplyCommandParser.Parse(request.Message, account.Options.TimeZone);
            }
            catch (ReplyCommandException ex)
            {
                return new ChannelbackOutcome.Failed(StatusCodes.Status400BadRequest, ex.Message);
            }
        }

        try
        {
            var source = sources.Create(account);

            // The command first: when it fails nothing is written, and a retry re-applies both idempotently
            // (the request id marks the change and the comment), so no half of a reply is left behind for good.
            if (command is not null)
            {
                var changed = command.Kind switch
                {
                    ReplyCommandKind.Done => await source.ChangeTaskStatusAsync(new SourceTaskStatusWrite(itemKey, request.RequestId, SourceTaskStatus.Completed, null), cancellationToken),
                    ReplyCommandKind.Reopen => await source.ChangeTaskStatusAsync(new SourceTaskStatusWrite(itemKey, request.RequestId, SourceTaskStatus.NeedsAction, null), cancellationToken),
                    _ => await source.ChangeTaskDueAsync(new SourceTaskDueWrite(itemKey, request.RequestId, command.Due!.Value, null), cancellationToken),
                };
                if (Failure(changed) is { } failed)
                {
                    return failed;
                }
            }

            // A reply that was only a command is still written, so the ticket's comment has its echo in the source.
            var text = command is { RemainingText.Length: > 0 } ? command.RemainingText : request.Message;
            var reply = new SourceCommentWrite(itemKey, request.RequestId, WithAttachments(text, request.FileUrls), null, null) { Occurrence = unitKey != itemKey ? unitKey : null };
            var written = await source.WriteCommentAsync(reply, cancellationToken);
            return (ChannelbackOutcome?)Failure(written) ?? new ChannelbackOutcome.Accepted(externalId, source.Capabilities.CanComment);
        }
        catch (SourceException ex)
        {
            return ex.Kind switch
            {
                SourceErrorKind.Unauthorized or SourceErrorKind.Forbidden => new ChannelbackOutcome.Failed(
                    StatusCodes.Status502BadGateway,
                    "The source rejected the stored credentials; nothing was written. An admin needs to update the account's username or password.",
                    "credentials_rejected"),
                SourceErrorKind.Unreachable or SourceErrorKind.Timeout => new ChannelbackOutcome.Failed(
                    StatusCodes.Status503ServiceUnavailable,
                    $"The source could not be reached; nothing was written. {ex.Message}",
                    "source_unreachable"),
                _ => new ChannelbackOutcome.Failed(StatusCodes.Status502BadGateway, $"The source failed; nothing was written. {ex.Message}", "source_failed"),
            };
        }
    }

    private static ChannelbackOutcome.Failed? Failure(SourceWriteResult result) => result.Outcome switch
    {
        SourceWriteOutcome.Written or SourceWriteOutcome.AlreadyApplied => null,
        SourceWriteOutcome.Conflict => new(StatusCodes.Status503ServiceUnavailable, result.Message, "conflict"),
        SourceWriteOutcome.NotFound => new(StatusCodes.Status404NotFound, result.Message, "not_found"),
        SourceWriteOutcome.ReadOnlySource => new(StatusCodes.Status400BadRequest, result.Message, "read_only"),
        _ => new(StatusCodes.Status422UnprocessableEntity, result.Message, "rejected"),
    };

    /// <summary>Attachments are not copied into the source: their links are listed under the reply.</summary>
    private static string WithAttachments(string text, IReadOnlyList<string> fileUrls)
    {
        if (fileUrls.Count == 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.TrimEnd()).Append("\n\nAttachments:");
        foreach (var url in fileUrls)
        {
            builder.Append("\n- ").Append(url);
        }

        return builder.ToString();
    }

    /// <summary>
    /// The source item behind a ticket: the mirror maps occurrences to their series; a unit the mirror no longer
    /// has (an unacknowledged first response) is an item key itself when the store knows it.
    /// </summary>
    private async Task<string?> ItemKeyAsync(string accountId, string unitKey, CancellationToken cancellationToken) =>
        await mirror.ItemKeyOfAsync(accountId, unitKey, cancellationToken)
        ?? (await items.GetAsync(accountId, unitKey, cancellationToken) is { Deleted: false } ? unitKey : null);
}
