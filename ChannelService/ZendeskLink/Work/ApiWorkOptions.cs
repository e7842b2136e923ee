namespace ChannelService.ZendeskLink.Work;

/// <summary>The API worker's timing. Defaults suit production; tests shorten them.</summary>
internal sealed class ApiWorkOptions
{
    /// <summary>Whether the hosted worker runs (tests that drive <see cref="ApiWorker.RunOnceAsync"/> themselves turn it off).</summary>
    public bool Background { get; set; } = true;

    /// <summary>How often the worker looks for due work when nobody woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a claim holds: a crashed or stopped worker's rows are taken over after this.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long after the pull issued a ticket the worker waits for <c>resources_created_from_external_ids</c> before
    /// it searches for the ticket itself (the event normally comes within seconds; search needs minutes to index).
    /// </summary>
    public TimeSpan SearchAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The first wait before searching again for a ticket the search index did not know yet (doubling, at most an hour).</summary>
    public TimeSpan SearchRetry { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Searches for a ticket that never showed up before its work is dropped (with back-off: about a day).</summary>
    public int MaxAttempts { get; set; } = 12;

    /// <summary>Rows claimed per pass.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>More ticket updates than this in one pass go through update_many (100 per job) instead of one PUT each.</summary>
    public int Handful { get; set; } = 5;

    /// <summary>Pause between two polls of a job status.</summary>
    public TimeSpan JobPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Polls of one job status before its tickets are tried again later.</summary>
    public int MaxJobPolls { get; set; } = 60;

    /// <summary>When a subdomain has no working link, its work is looked at again after this (or at once when it links).</summary>
    public TimeSpan NotLinkedRecheck { get; set; } = TimeSpan.FromHours(1);
}
