using System.Globalization;
using System.Text.Json;
using ChannelService.Accounts;
using ChannelService.Web;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.ZendeskLink.Changes;

/// <summary>
/// <c>POST /zendesk/webhook/{link id}</c>: a delivery of the change feed's webhook (body <c>{"ticket_id": "123"}</c>,
/// from the trigger <see cref="ChangeFeedApi"/> creates). Only a nudge: the ticket is re-read through the API before
/// anything acts on it. The link id is opaque and random (never the subdomain); unknown → 404. Missing, wrong or stale
/// signature → 401 and nothing is stored. A repeated invocation id → 200 and nothing happens twice. Otherwise the
/// nudge is stored durably and 200 answered at once; the re-read and the handlers run in <see cref="ChangeFeedWorker"/>.
/// </summary>
[ApiController]
internal sealed partial class ZendeskWebhookController(
    ChangeFeedStore store,
    SecretSealer sealer,
    TicketSnapshots snapshots,
    ChangeFeedWorker worker,
    TimeProvider time,
    ILogger<ZendeskWebhookController> logger) : ControllerBase
{
    /// <summary>A trigger delivery is a few dozen bytes; 64 KB bounds a hostile post before the signature is known.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    [HttpPost("/zendesk/webhook/{linkId}")]
    [RequestSizeLimit(MaxBodyBytes)]
    public async Task<IActionResult> ReceiveAsync(string linkId, CancellationToken cancellationToken)
    {
        if (linkId.Length is < 16 or > 64 || !linkId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return NotFound();
        }

        var link = await store.LinkAsync(linkId, cancellationToken);
        if (link?.SigningSecret is null)
        {
            return NotFound();
        }

        var body = await ReadBodyAsync(cancellationToken);
        if (body is null)
        {
            return StatusCode(StatusCodes.Status413PayloadTooLarge, new ErrorResponse("The delivery is larger than 64 KB."));
        }

        var secret = sealer.Open(ChangeFeedStore.SecretPurpose, link.LinkId, link.SigningSecret);
        var signature = Request.Headers[WebhookSignature.SignatureHeader].ToString();
        var timestamp = Request.Headers[WebhookSignature.TimestampHeader].ToString();
        if (!WebhookSignature.IsValid(secret, signature, timestamp, body, time.GetUtcNow()))
        {
            LogRefused(logger, link.Subdomain);
            return Unauthorized(new ErrorResponse("The delivery's Zendesk signature is missing, wrong or stale."));
        }

        if (TicketId(body) is not { } ticketId)
        {
            return BadRequest(new ErrorResponse("The delivery does not name a ticket: the body must be {\"ticket_id\": \"<id>\"}."));
        }

        var invocation = Request.Headers[WebhookSignature.InvocationHeader].ToString();
        if (invocation.Length > 200)
        {
            return BadRequest(new ErrorResponse("The invocation id is too long."));
        }

        // Before any API call: a ticket no handler can want (or any ticket while no handler is registered) is recorded as
        // received and nothing more.
        var wanted = worker.HasHandlers && (worker.WantsAllTickets || await snapshots.IsLinkedAsync(link.Subdomain, ticketId, cancellationToken));
        var fresh = await store.AcceptDeliveryAsync(link, invocation.Length == 0 ? null : invocation, wanted ? ticketId : null, cancellationToken);
        if (fresh && wanted)
        {
            worker.Wake();
        }

        return Ok(new { received = fresh });
    }

    /// <summary>The raw bytes as sent (the signature covers them, never a re-serialised body), or null when over the limit.</summary>
    private async Task<byte[]?> ReadBodyAsync(CancellationToken cancellationToken)
    {
        if (Request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
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

    /// <summary><c>ticket_id</c> as the trigger's placeholder renders it (a string of digits) or as a number.</summary>
    private static long? TicketId(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("ticket_id", out var id))
            {
                return null;
            }

            long value = 0;
            var ok = id.ValueKind switch
            {
                JsonValueKind.Number => id.TryGetInt64(out value),
                JsonValueKind.String => long.TryParse(id.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out value),
                _ => false,
            };
            return ok && value > 0 ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a change feed delivery for {Subdomain}: signature missing, wrong or stale")]
    private static partial void LogRefused(ILogger logger, string subdomain);
}
