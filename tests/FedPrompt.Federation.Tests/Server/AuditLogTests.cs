using FedPrompt.Federation.Server;
using FedPrompt.Testing;

namespace FedPrompt.Federation.Tests.Server;

public class AuditLogTests
{
    [Fact]
    public void AFloodOfIdenticalEventsCostsALineAMinuteAndKeepsItsCount()
    {
        using var folder = new TemporaryDirectory();
        var clock = new ManualClock();
        var audit = new AuditLog(Path.Combine(folder.Path, AuditLog.FileName), clock);

        // 36,500 identical rejections over five minutes, as a site re-asked in a loop once produced,
        // with other events between them.
        for (int i = 0; i < 36_500; i++)
        {
            audit.Record("site-2", "result rejected", "job", 0, "its base model differs");
            if (i % 10_000 == 0) audit.Record("site-1", "train result accepted", "job", 0);
            clock.Advance(TimeSpan.FromSeconds(300.0 / 36_500));
        }
        audit.Flush();

        var lines = AuditLog.Read(audit.Path);
        var rejected = lines.Where(e => e.Event == "result rejected").ToList();
        Assert.InRange(rejected.Count, 5, 7);
        // Every event is accounted for: each line stands for itself and its repeats.
        Assert.Equal(36_500, rejected.Sum(e => 1 + (e.Repeats ?? 0)));
        Assert.Null(rejected[0].Repeats);
        // A different event is never folded into another (these four are minutes apart, each written);
        // the same event in another round is another event.
        Assert.Equal(4, lines.Count(e => e is { Event: "train result accepted", Repeats: null }));
        audit.Record("site-2", "result rejected", "job", 1, "its base model differs");
        Assert.Equal(1, AuditLog.Read(audit.Path).Count(e => e.Round == 1));
    }

    [Fact]
    public void AnEventSeenOnceIsWrittenAtOnceAndNotAgainOnFlush()
    {
        using var folder = new TemporaryDirectory();
        var audit = new AuditLog(Path.Combine(folder.Path, AuditLog.FileName), new ManualClock());
        audit.Record("admin", "job submitted", "job");
        Assert.Single(AuditLog.Read(audit.Path));
        audit.Flush();
        var only = Assert.Single(AuditLog.Read(audit.Path));
        Assert.Null(only.Repeats);
    }
}
