using NodaTime;

namespace ChannelService.Pull;

/// <summary>
/// How long a plan made now stays the plan while only the clock moves. The plan depends on the time through the
/// event window alone (<see cref="TicketPlanner.Plan"/>: an event or occurrence is in it while
/// <c>start &lt; now + future</c> and <c>end &gt; now - past</c>, or a zero-length one <c>start &gt;= now - past</c>) and
/// the UTC date that tells an occurrence removed from its series from one that left the window
/// (<see cref="PullPlanner"/>). Every instant at which one of those comparisons can flip is noted; the earliest one
/// still ahead is <see cref="Until"/>, and the no-change shortcut (<see cref="UnchangedPulls"/>) ends there, so a
/// no-change answer is never given past the moment an item enters or leaves the window.
/// </summary>
internal sealed class PlanHorizon
{
    /// <param name="now">The instant the plan is made for.</param>
    /// <param name="limit">The latest <see cref="Until"/> there can be, whatever the items say.</param>
    public PlanHorizon(Instant now, Instant limit)
    {
        Now = now;
        Until = limit > now ? limit : now;
    }

    public Instant Now { get; }

    /// <summary>The plan made at <see cref="Now"/> holds for every instant before this one.</summary>
    public Instant Until { get; private set; }

    /// <summary>A comparison of the plan may flip at <paramref name="boundary"/>.</summary>
    public void Note(Instant boundary)
    {
        if (boundary < Now)
        {
            return; // crossed already: the plan made now saw it
        }

        // A strict comparison flips just after its boundary: a plan made exactly at it is made again one tick later.
        var at = boundary == Now ? Now + Duration.FromTicks(1) : boundary;
        if (at < Until)
        {
            Until = at;
        }
    }

    /// <summary>The instants at which an item from <paramref name="start"/> to <paramref name="end"/> enters or leaves the window.</summary>
    public void NoteSpan(Instant start, Instant end, Duration past, Duration future)
    {
        Note(start - future);
        Note(end + past);
        if (end <= start)
        {
            // Only an item without length is kept by its start (otherwise its end leaves the window first).
            Note(start + past);
        }
    }
}
