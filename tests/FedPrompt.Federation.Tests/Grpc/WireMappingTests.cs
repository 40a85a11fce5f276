using FedPrompt.Federation.Grpc;
using FedPrompt.Federation.Messages;

namespace FedPrompt.Federation.Tests.Grpc;

/// <summary>The server and site records survive the wire unchanged, field by field, and the wire's
/// task kinds are the records' in number.</summary>
public class WireMappingTests
{
    [Fact]
    public void ATaskCrossesTheWireWithEveryField()
    {
        var task = new SiteTask
        {
            Kind = SiteTaskKind.SecureMask, JobId = "job-1", TaskId = "job-1/secure_mask/r3/site-2/abc", Round = 3, ConfigJson = "{\"a\":1}",
            Payload = new PayloadDescription(1234, new string('a', 64)), RetryAfter = TimeSpan.FromMilliseconds(750), SecureAggregation = true,
            Participants = [new AnnouncedKey("site-1", [1, 2, 3]), new AnnouncedKey("site-2", [4, 5])], Attempt = 2,
        };

        var back = task.ToWire().FromWire();

        Assert.Equal(task with { Participants = back.Participants }, back);
        Assert.Equal(task.Participants.Select(p => (p.Site, Convert.ToHexString(p.PublicKey))), back.Participants.Select(p => (p.Site, Convert.ToHexString(p.PublicKey))));
    }

    [Fact]
    public void AResultCrossesTheWireWithEveryField()
    {
        var result = new SiteResult
        {
            Session = "s-1", JobId = "job-1", TaskId = "t-1", Round = 4, Kind = SiteTaskKind.Train, Failed = true, Error = "out of memory", Steps = 17,
            Metrics = new Dictionary<string, double> { ["validation_loss"] = 0.25, ["train_loss"] = double.NaN },
            Payload = new PayloadDescription(99, new string('b', 64)), SiteInfoJson = "{}", PublicKey = [9, 8, 7], Attempt = 1,
        };

        var back = result.ToWire().FromWire();

        Assert.Equal(result with { Metrics = back.Metrics, PublicKey = back.PublicKey }, back);
        Assert.Equal(result.Metrics.OrderBy(m => m.Key), back.Metrics.OrderBy(m => m.Key));
        Assert.Equal(result.PublicKey, back.PublicKey);
    }

    [Fact]
    public void TaskKindsAreTheWiresInNumber()
    {
        foreach (var kind in Enum.GetValues<SiteTaskKind>())
            Assert.Equal(kind.ToString(), ((Protocol.TaskKind)kind).ToString());
        Assert.Equal(Enum.GetValues<SiteTaskKind>().Length, Enum.GetValues<Protocol.TaskKind>().Length);
    }

    [Fact]
    public void AnAnnouncedSizeBeyondALongIsRefusedNotWrapped() =>
        Assert.Equal(long.MaxValue, new Protocol.PayloadInfo { Size = ulong.MaxValue, Sha256 = "" }.FromWire().Size);
}
