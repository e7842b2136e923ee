using System.Text.Json;
using ChannelService.Data;
using ChannelService.Web;
using ChannelService.Zendesk;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Inbox;

internal sealed record InboxAccepted(string ExternalId);

/// <summary>
/// <c>POST /inbox/{account id}</c>: signed webhook messages (design §7). The order of checks matters: size before
/// reading, signature before parsing (an unsigned body is never even parsed), then validation; only then is the
/// message stored, in the outbox transaction, and 202 answered with its external_id.
/// </summary>
[ApiController]
internal sealed class InboxController(InboxAccountStore accounts, Database database, Outbox outbox, IValidator<InboxMessage> validator, TimeProvider time) : ControllerBase
{
    /// <summary>Messages are text plus a few URLs; 256 KB holds the 65535-character text and html with room to spare.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    private static readonly JsonSerializerOptions Json = new() { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    [HttpPost("/inbox/{accountId}")]
    public async Task<IActionResult> ReceiveAsync(string accountId, CancellationToken cancellationToken)
    {
        if (Request.ContentLength > MaxBodyBytes)
        {
            return StatusCode(StatusCodes.Status413PayloadTooLarge, new ErrorResponse($"The message is larger than {MaxBodyBytes / 1024} KB."));
        }

        var account = await accounts.GetAsync(accountId, cancellationToken);
        if (account is null)
        {
            return NotFound(new ErrorResponse("No inbox account has this id."));
        }

        HttpContext.SetLogAccount(account.AccountId);
        var body = await ReadBodyAsync(cancellationToken);
        if (body is null)
        {
            return StatusCode(StatusCodes.Status413PayloadTooLarge, new ErrorResponse($"The message is larger than {MaxBodyBytes / 1024} KB."));
        }

        var problem = InboxSignature.Verify(
            account.Secret,
            Request.Headers[InboxSignature.TimestampHeader],
            Request.Headers[InboxSignature.SignatureHeader],
            body,
            time.GetUtcNow());
        if (problem is not null)
        {
            return Unauthorized(new ErrorResponse(problem));
        }

        InboxMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<InboxMessage>(body, Json);
        }
        catch (JsonException ex)
        {
            return BadRequest(new ErrorResponse("The body is not a JSON message object.", ex.Path is { Length: > 1 } path ? $"at {path}" : null));
        }

        if (message is null)
        {
            return BadRequest(new ErrorResponse("The body is not a JSON message object."));
        }

        // Validated here, not by ValidationFilter: the body is parsed only once its signature has been checked.
        var validation = await validator.ValidateAsync(message, cancellationToken);
        if (!validation.IsValid)
        {
            var first = validation.Errors[0];
            return BadRequest(new ErrorResponse(first.ErrorMessage, $"field: {first.PropertyName}"));
        }

        var resource = InboxResources.Map(account.AccountId, message, time.GetUtcNow());
        await using (var connection = await database.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await outbox.EnqueueAsync(connection, transaction, account.AccountId, resource.ExternalId, resource.ThreadId, resource.AuthorExternalId, resource.Json, message.Thread);
            await transaction.CommitAsync(cancellationToken);
        }

        outbox.NotifyEnqueued(account.AccountId);
        return Accepted(new InboxAccepted(resource.ExternalId));
    }

    /// <summary>The raw body (the signature covers its exact bytes), or null past the limit.</summary>
    private async Task<byte[]?> ReadBodyAsync(CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
