namespace ChannelService.Accounts;

/// <summary>Why a metadata or state string was refused. None of them echo the input.</summary>
internal enum CodecRejection
{
    /// <summary>Null, empty or blank.</summary>
    Empty,

    /// <summary>Longer than Zendesk's 5000-character limit: nothing we minted.</summary>
    TooLong,

    /// <summary>Not of the form <c>version.keyid.payload</c>, or the payload is not base64url of a plausible length.</summary>
    Malformed,

    /// <summary>A version prefix this build does not read.</summary>
    UnsupportedVersion,

    /// <summary>A key id the key ring does not hold (a foreign service, or a key that was removed).</summary>
    UnknownKey,

    /// <summary>Authentication failed: altered, truncated inside the payload, or made with other key bytes.</summary>
    Tampered,

    /// <summary>Authentic, but the content is not valid (should only happen across incompatible releases).</summary>
    InvalidContent,

    /// <summary>A pull state minted for another account.</summary>
    WrongAccount,
}

/// <summary>A metadata or state string could not be used. Safe to log: the message names the reason only.</summary>
internal abstract class CodecRejectedException(CodecRejection reason, string message) : Exception(message)
{
    public CodecRejection Reason { get; } = reason;
}

internal sealed class MetadataRejectedException(CodecRejection reason)
    : CodecRejectedException(reason, $"Account metadata rejected: {Describe(reason, "the metadata")}.")
{
    /// <summary>
    /// Why <paramref name="subject"/> (a noun phrase, "The metadata", "The pull state") was refused, as one clause
    /// that names it: every message composed from a rejection reads on its own, in an answer to Zendesk, a CLI error
    /// or a log line.
    /// </summary>
    internal static string Describe(CodecRejection reason, string subject) => reason switch
    {
        CodecRejection.Empty => $"{subject} is empty",
        CodecRejection.TooLong => $"{subject} is longer than 5000 characters",
        CodecRejection.Malformed => $"{subject} is not in the format this service mints",
        CodecRejection.UnsupportedVersion => $"{subject} has a format version this service does not support",
        CodecRejection.UnknownKey => $"{subject} was encrypted with a key this service does not hold",
        CodecRejection.Tampered => $"{subject} failed authentication (altered, truncated or minted with another key)",
        CodecRejection.InvalidContent => $"{subject} decrypted, but its content is not valid",
        CodecRejection.WrongAccount => $"{subject} belongs to another account",
        _ => $"{subject} was refused for an unknown reason",
    };
}

internal sealed class PullStateRejectedException(CodecRejection reason)
    : CodecRejectedException(reason, $"Pull state rejected: {MetadataRejectedException.Describe(reason, "the state")}.");

/// <summary>Thrown when minting would exceed Zendesk's 5000-character limit for metadata or state.</summary>
internal sealed class EncodedValueTooLargeException(string what, int length, string hint)
    : Exception($"{what} would be {length} characters; Zendesk stores at most {ZendeskLimits.MaxOpaqueLength}. {hint}")
{
    public int Length { get; } = length;
}

internal static class ZendeskLimits
{
    /// <summary>Channel framework: metadata and state are opaque strings of at most 5000 characters (spec §9).</summary>
    public const int MaxOpaqueLength = 5000;
}
