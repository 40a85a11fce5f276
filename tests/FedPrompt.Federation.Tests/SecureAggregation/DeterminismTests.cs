using System.Security.Cryptography;
using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Tests.SecureAggregation;

public class DeterminismTests
{
    [Fact]
    public void TheSameKeysAndInputsGiveTheSameMaskedUpdate()
    {
        var keys = new[] { "A", "B", "C" }.Select(_ => ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256).ExportParameters(true)).ToArray();
        var difference = Updates.Random(new Random(61), 0.05f);

        byte[] Masked(string job, int round)
        {
            var sessions = keys.Select((k, i) => new SecureAggregationSession(((char)('A' + i)).ToString(), job, round, ECDiffieHellman.Create(k))).ToList();
            try
            {
                var participants = sessions.Select(s => new SitePublicKey(s.Site, s.PublicKey)).ToList();
                return sessions[0].Mask(difference, 7, participants).ToBytes();
            }
            finally
            {
                sessions.ForEach(s => s.Dispose());
            }
        }

        Assert.Equal(Masked("job", 1), Masked("job", 1));
        Assert.NotEqual(Masked("job", 1), Masked("job", 2));
        Assert.NotEqual(Masked("job", 1), Masked("other-job", 1));
    }

    [Fact]
    public void AMaskStreamIsAES256InCounterModeWhateverTheChunking()
    {
        var seed = RandomNumberGenerator.GetBytes(PairwiseSeed.Length);
        const int length = 20_000;  // several 4096-block batches
        var whole = Stream(seed, [length]);

        Assert.Equal(whole, Stream(seed, [1, 7, 8191, 8192, 1, length - 16392]));
        Assert.Equal(whole, Stream(seed, Enumerable.Repeat(1000, length / 1000).ToArray()));
        Assert.NotEqual(whole, Stream(RandomNumberGenerator.GetBytes(PairwiseSeed.Length), [length]));
        // Known answer: elements 2b and 2b+1 are block b = AES-256(seed, counter b), little-endian.
        using var aes = Aes.Create();
        aes.Key = seed;
        var counter = new byte[16];
        counter[0] = 5;
        var block = aes.EncryptEcb(counter, PaddingMode.None);
        Assert.Equal(BitConverter.ToUInt64(block, 0), whole[10]);
        Assert.Equal(BitConverter.ToUInt64(block, 8), whole[11]);
    }

    [Fact]
    public void SubtractingTheStreamUndoesAddingIt()
    {
        var seed = RandomNumberGenerator.GetBytes(PairwiseSeed.Length);
        var values = Enumerable.Range(0, 5000).Select(i => (ulong)i * 0x9E3779B97F4A7C15).ToArray();
        var original = (ulong[])values.Clone();

        using (var add = new MaskStream(seed)) add.AddTo(values);
        Assert.NotEqual(original, values);
        using (var subtract = new MaskStream(seed)) subtract.SubtractFrom(values);

        Assert.Equal(original, values);
    }

    /// <summary>The stream's first Σ chunks elements, read in chunks of the given sizes.</summary>
    static ulong[] Stream(byte[] seed, int[] chunks)
    {
        var values = new ulong[chunks.Sum()];
        using var stream = new MaskStream(seed);
        int at = 0;
        foreach (int chunk in chunks)
        {
            stream.AddTo(values.AsSpan(at, chunk));
            at += chunk;
        }
        return values;
    }
}
