namespace MlOps.Pipelines.Tests.Tracking.Reporting;

/// <summary>A clock that moves only when the test advances it, firing the timers that fall due on the way (on the caller's thread).</summary>
sealed class SteppedClock(DateTimeOffset now) : TimeProvider
{
    readonly Lock _gate = new();
    readonly List<SteppedTimer> _timers = [];

    public DateTimeOffset Now { get; private set; } = now;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return Now;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SteppedTimer(this, callback, state);
        timer.Change(dueTime, period);
        lock (_gate) _timers.Add(timer);
        return timer;
    }

    /// <summary>Moves the clock by <paramref name="by"/>, firing each due timer as often as it falls due, in time order.</summary>
    public void Advance(TimeSpan by)
    {
        var end = GetUtcNow() + by;
        while (true)
        {
            SteppedTimer? next;
            lock (_gate)
            {
                next = _timers.Where(t => t.Due is { } due && due <= end).MinBy(t => t.Due);
                if (next is null)
                {
                    Now = end;
                    return;
                }
                Now = next.Due!.Value;
                next.Due = next.Period > TimeSpan.Zero ? Now + next.Period : null;
            }
            next.Fire();
        }
    }

    /// <summary>How many timers are still set (not disposed, with a due time).</summary>
    public int ActiveTimers
    {
        get { lock (_gate) return _timers.Count(t => t.Due is not null); }
    }

    sealed class SteppedTimer(SteppedClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? Due { get; set; }
        public TimeSpan Period { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock.Now + dueTime;
                Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
            }
            return true;
        }

        public void Dispose()
        {
            lock (clock._gate) Due = null;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
