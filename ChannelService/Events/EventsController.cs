using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Web;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Events;

/// <summary>
/// <c>POST /events</c> (spec §7): batched <c>{"events": [...]}</c>, always 200 for well-formed input, unknown types
/// ignored. Events are unsigned: each goes to its handler through <see cref="EventDispatcher"/>, which lets nothing
/// destructive happen without metadata of ours and stores only events tied to us.
/// </summary>
[ApiController]
internal sealed class EventsController(EventDispatcher dispatcher, IValidator<EventBatch> validator, UnverifiedEvents unverified, TimeProvider time) : ControllerBase
{
    /// <summary>Zendesk aggregates events; a batch is a few KB each. 1 MB bounds a hostile post.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    [HttpPost("/events")]
    public async Task<IActionResult> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (Request.ContentLength > MaxBodyBytes)
        {
            return StatusCode(StatusCodes.Status413PayloadTooLarge, new ErrorResponse("The event batch is larger than 1 MB."));
        }

        JsonNode? root;
        try
        {
            using var limited = new MemoryStream();
            await Request.Body.CopyToAsync(limited, cancellationToken);
            if (limited.Length > MaxBodyBytes)
            {
                return StatusCode(StatusCodes.Status413PayloadTooLarge, new ErrorResponse("The event batch is larger than 1 MB."));
            }

            root = JsonNode.Parse(limited.ToArray());
        }
        catch (JsonException)
        {
            Refused("The body is not JSON.");
            return BadRequest(new ErrorResponse("The body is not JSON."));
        }

        var batch = EventBatch.From(root);
        var validation = await validator.ValidateAsync(batch, cancellationToken);
        if (!validation.IsValid)
        {
            Refused(validation.Errors[0].ErrorMessage);
            return BadRequest(new ErrorResponse(validation.Errors[0].ErrorMessage));
        }

        foreach (var item in batch.Events!)
        {
            await dispatcher.DispatchAsync(item, cancellationToken);
        }

        return Ok(new { received = batch.Events!.Count });
    }

    /// <summary>A refused batch is counted like any event that names nothing of ours.</summary>
    private void Refused(string reason) =>
        unverified.Record(UnverifiedEvents.Malformed, new UnverifiedEventSample(time.GetUtcNow(), UnverifiedEvents.Malformed, null, null, reason));
}
