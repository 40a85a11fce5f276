namespace FedPrompt.Testing;

/// <summary>A clock that moves only when told to: deadlines are passed by advancing it, not by waiting.</summary>
public sealed class ManualClock : TimeProvider
{
    long _ticks = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
