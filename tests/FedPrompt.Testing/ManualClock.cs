namespace FedPrompt.Testing;

/// <summary>A clock that moves only when told to: deadlines are passed by advancing it, not by
/// waiting. Its timers (and so <c>Task.Delay</c> and <c>CancellationTokenSource</c> deadlines on it)
/// fire when <see cref="Advance"/> moves the clock past them.</summary>
public sealed class ManualClock : TimeProvider
{
    readonly Lock _gate = new();
    readonly List<ManualTimer> _timers = [];
    long _ticks = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by)
    {
        Interlocked.Add(ref _ticks, by.Ticks);
        List<ManualTimer> due;
        lock (_gate) due = _timers.Where(t => t.IsDue(GetUtcNow())).ToList();
        foreach (var timer in due) timer.Fire(GetUtcNow());
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        lock (_gate) _timers.Add(timer);
        timer.Change(dueTime, period);
        return timer;
    }

    sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        DateTimeOffset? _due;
        TimeSpan _period = Timeout.InfiniteTimeSpan;

        public bool IsDue(DateTimeOffset now)
        {
            lock (clock._gate) return _due <= now;
        }

        public void Fire(DateTimeOffset now)
        {
            lock (clock._gate)
            {
                if (!(_due <= now)) return;
                _due = _period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero ? null : now + _period;
            }
            callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                _due = dueTime == Timeout.InfiniteTimeSpan ? null : clock.GetUtcNow() + dueTime;
                _period = period;
            }
            if (dueTime == TimeSpan.Zero) Fire(clock.GetUtcNow());
            return true;
        }

        public void Dispose()
        {
            lock (clock._gate)
            {
                _due = null;
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
