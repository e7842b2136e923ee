using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ChannelService.Accounts;

namespace ChannelService.Admin;

/// <summary>
/// What the admin flow must remember between its own posts inside Zendesk's iframe, where cookies are third-party
/// (blocked by Safari, partitioned elsewhere; design §7): Zendesk's original fields and when the flow began.
/// It travels in the form, sealed by <see cref="AdminFlowTokenCodec"/>.
/// </summary>
internal sealed record AdminFlow
{
    /// <summary>Random id of this flow: a saved flow is remembered so the same token cannot save twice.</summary>
    public required string FlowId { get; init; }

    public required string ReturnUrl { get; init; }

    public required string Subdomain { get; init; }

    public string? Locale { get; init; }

    /// <summary>The account name Zendesk posted (empty for a new account).</summary>
    public string? Name { get; init; }

    /// <summary>The metadata Zendesk posted (empty for a new account): it holds the saved secret.</summary>
    public string? Metadata { get; init; }

    /// <summary>The pull state Zendesk posted, re-sent on save so the pull cursor survives an edit.</summary>
    public string? State { get; init; }

    public string? InstancePushId { get; init; }

    public string? ZendeskAccessToken { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    /// <summary>A password or token typed during this flow but not saved yet: kept here, never rendered back.</summary>
    public string? PendingSecret { get; init; }

    /// <summary>Hash of the settings whose connection test passed; Save needs no second test when they are unchanged.</summary>
    public string? TestedFingerprint { get; init; }

    public bool IsEdit => !string.IsNullOrEmpty(Metadata);

    /// <summary>Never prints the metadata, state or access token.</summary>
    public override string ToString() => $"AdminFlow {{ FlowId = {FlowId}, Subdomain = {Subdomain} }}";
}

internal enum AdminFlowRejection
{
    Missing,
    Invalid,
    Expired,
    AlreadyUsed,
}

/// <summary>
/// Seals <see cref="AdminFlow"/> with AES-GCM under a key derived from the service key ring. Only the service can
/// mint a token, so a follow-up post that carries a valid one came from a page this service rendered for this flow:
/// that is the protection against forged posts that cookie-based antiforgery cannot give inside the iframe. Tokens
/// expire after <see cref="Lifetime"/>, and a token that saved once is refused afterwards (replay).
/// </summary>
internal sealed class AdminFlowTokenCodec(KeyRing keys, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(2);

    private const string Version = "f1";
    private const string Purpose = "admin-flow-v1";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int MaxTokenLength = 24_000;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly ConcurrentDictionary<string, DateTimeOffset> usedFlows = new(StringComparer.Ordinal);

    public AdminFlow Start(string returnUrl, string subdomain, string? locale, string? name, string? metadata, string? state, string? pushId, string? accessToken) => new()
    {
        FlowId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12)),
        ReturnUrl = returnUrl,
        Subdomain = subdomain,
        Locale = locale,
        Name = name,
        Metadata = string.IsNullOrEmpty(metadata) ? null : metadata,
        State = string.IsNullOrEmpty(state) ? null : state,
        InstancePushId = string.IsNullOrEmpty(pushId) ? null : pushId,
        ZendeskAccessToken = string.IsNullOrEmpty(accessToken) ? null : accessToken,
        IssuedAt = time.GetUtcNow(),
    };

    public string Seal(AdminFlow flow)
    {
        var key = keys.Current;
        var header = $"{Version}.{key.Id}";
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(flow, Json);
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, NonceSize));
        using (var aes = new AesGcm(key.DeriveKey(Purpose), TagSize))
        {
            aes.Encrypt(sealedBytes.AsSpan(0, NonceSize), plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), Encoding.ASCII.GetBytes(header));
        }

        return $"{header}.{Base64Url.EncodeToString(sealedBytes)}";
    }

    public bool TryOpen(string? token, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AdminFlow? flow, out AdminFlowRejection rejection)
    {
        flow = null;
        rejection = AdminFlowRejection.Invalid;
        if (string.IsNullOrEmpty(token))
        {
            rejection = AdminFlowRejection.Missing;
            return false;
        }

        var parts = token.Split('.');
        if (token.Length > MaxTokenLength || parts.Length != 3 || parts[0] != Version || !KeyRing.IsValidKeyId(parts[1])
            || !keys.TryGetKey(parts[1], out var key) || !OpaqueFormat.TryDecodeBody(parts[2], NonceSize + TagSize + 2, MaxTokenLength, out var sealedBytes))
        {
            return false;
        }

        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key.DeriveKey(Purpose), TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), plaintext, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            flow = JsonSerializer.Deserialize<AdminFlow>(plaintext, Json);
        }
        catch (Exception e) when (e is AuthenticationTagMismatchException or JsonException)
        {
            return false;
        }

        if (flow is null)
        {
            return false;
        }

        var now = time.GetUtcNow();
        if (now - flow.IssuedAt > Lifetime || flow.IssuedAt - now > TimeSpan.FromMinutes(5))
        {
            flow = null;
            rejection = AdminFlowRejection.Expired;
            return false;
        }

        if (usedFlows.ContainsKey(flow.FlowId))
        {
            flow = null;
            rejection = AdminFlowRejection.AlreadyUsed;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Marks the flow as finished; false when it already was (a replayed save). Entries live as long as a token
    /// could, so the set stays small: at most the flows saved within the last <see cref="Lifetime"/>.
    /// </summary>
    public bool MarkUsed(AdminFlow flow)
    {
        var now = time.GetUtcNow();
        foreach (var (id, issued) in usedFlows)
        {
            if (now - issued > Lifetime)
            {
                usedFlows.TryRemove(id, out _);
            }
        }

        return usedFlows.TryAdd(flow.FlowId, flow.IssuedAt);
    }
}

/// <summary>
/// What an admin page is told when its sealed flow is refused, the same words wherever a flow is opened (the admin
/// steps, the Zendesk link's status check, the agents' calendar Rotate): an expired page is told to reopen it, a
/// token this service did not issue (forged, altered, truncated or missing) that it was not issued here.
/// </summary>
internal static class AdminFlowMessages
{
    public static string For(AdminFlowRejection rejection, Microsoft.Extensions.Localization.IStringLocalizer t) => rejection switch
    {
        AdminFlowRejection.Expired => t["This page has expired. Close it and open the account again from Zendesk."],
        AdminFlowRejection.AlreadyUsed => t["This account was already saved from this page. Open it again from Zendesk to make more changes."],
        _ => t["This form was not issued by this service, or it was altered. Open the account again from Zendesk."],
    };
}
