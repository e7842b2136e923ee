namespace ChannelService.Pull;

/// <summary>
/// Time budgets and sizes of the pull. Not operator settings (the README lists those): the defaults follow
/// Zendesk's patience with a pull (about 30 s, channel-framework.md §3), and tests shorten them with
/// <c>services.Configure&lt;PullOptions&gt;(...)</c>; time itself comes from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class PullOptions
{
    /// <summary>How long a pull waits for another pull of the same account before answering "busy".</summary>
    public TimeSpan LockWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Budget for reading the source, so the whole answer stays within Zendesk's patience.</summary>
    public TimeSpan SourceBudget { get; set; } = TimeSpan.FromSeconds(22);

    /// <summary>How long storing the rest of a first read may take after its first answer went out.</summary>
    public TimeSpan CompletionBudget { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The longest a pull that found nothing to do lets identical pulls answer from one conditional request each. The
    /// shortcut ends earlier when an item enters or leaves the window (<see cref="PlanHorizon"/>), the account is
    /// written to, or the source changes; this bound only caps how long the service trusts that list of reasons: with
    /// 10,000 accounts an hour costs about three full no-change pulls a second.
    /// </summary>
    public TimeSpan UnchangedValidity { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often quick no-change pulls are written to the dashboard's last pull (<see cref="QuickPullActivity"/>).</summary>
    public TimeSpan ActivityFlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Parsed items kept in memory for all accounts together (see <see cref="ParsedItemCache"/>).</summary>
    public int ParsedItemCapacity { get; set; } = ParsedItemCache.DefaultCapacity;
}
