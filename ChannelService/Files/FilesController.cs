using ChannelService.Calendars;
using ChannelService.Sources;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Files;

/// <summary>
/// <c>GET|POST /files/{token}</c>: an inline attachment of a pulled item, for Zendesk to import from
/// <c>file_urls</c>. Rapidpro's integration notes Zendesk fetching with POST, so both methods answer.
/// </summary>
[ApiController]
internal sealed class FilesController(FileLinks links, SourceItemStore store) : ControllerBase
{
    /// <summary>Largest inline attachment served (decoded bytes).</summary>
    public const int MaxBytes = 10 * 1024 * 1024;

    [HttpGet("/files/{token}")]
    [HttpPost("/files/{token}")]
    [IgnoreAntiforgeryToken]
    public async Task<IActionResult> Get(string token, CancellationToken cancellationToken)
    {
        if (links.Verify(token) is not { } target)
        {
            return NotFound(new Web.ErrorResponse("This file link is invalid or has expired."));
        }

        var stored = await store.GetAsync(target.AccountId, target.ItemKey, cancellationToken);
        var calendar = stored is { Deleted: false } ? SourceItemCalendar.Parse(stored.Item) : null;
        if (calendar is null || target.AttachmentIndex >= calendar.Item.Attachments.Count)
        {
            return NotFound(new Web.ErrorResponse("The attachment is no longer in the source."));
        }

        var attachment = calendar.Item.Attachments[target.AttachmentIndex];
        var bytes = attachment.DecodeInline(MaxBytes);
        if (bytes is null)
        {
            return NotFound(new Web.ErrorResponse("The attachment is not inline, not readable or larger than 10 MB."));
        }

        var type = attachment.FormatType is { Length: > 0 } t && t.Contains('/', StringComparison.Ordinal) && !t.Contains('\n', StringComparison.Ordinal) ? t : "application/octet-stream";
        return File(bytes, type, attachment.FileName is { Length: > 0 } name ? Path.GetFileName(name) : $"attachment-{target.AttachmentIndex + 1}");
    }
}
