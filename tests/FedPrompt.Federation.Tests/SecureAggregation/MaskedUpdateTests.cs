using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Tests.SecureAggregation;

public class MaskedUpdateTests
{
    [Fact]
    public void RoundTripsThroughSafetensorsBytes()
    {
        var sent = MaskedRound.Run(MaskedRound.RandomSites(2, 81)).Masked[0];

        var received = MaskedUpdate.FromBytes(sent.ToBytes(), "upload");

        Assert.Equal((sent.Site, sent.JobId, sent.Round, sent.Weight), (received.Site, received.JobId, received.Round, received.Weight));
        Assert.Equal(sent.ParticipantsDigest, received.ParticipantsDigest);
        Assert.Equal(sent.Tensors.Select(t => (t.Name, string.Join(",", t.Shape))).Order(), received.Tensors.Select(t => (t.Name, string.Join(",", t.Shape))).Order());
        foreach (var tensor in sent.Tensors) Assert.Equal(tensor.Values, received.Tensors.Single(t => t.Name == tensor.Name).Values);
    }

    [Fact]
    public void APlainModelPayloadIsNotAMaskedUpdate()
    {
        var error = Assert.Throws<InvalidDataException>(() => MaskedUpdate.FromBytes(Updates.Zero().ToBytes(), "upload"));

        Assert.StartsWith("upload: not a masked update", error.Message);
    }
}
