namespace FedPrompt.Tuning.Data;

/// <summary>
/// The parts of CPython's <c>random.Random</c> (3.2 and later, seed version 2) that NeMo's
/// dataset preprocessing uses, reproduced bit for bit so that a seed gives the same shuffle.
/// </summary>
public sealed class CPythonRandom
{
    private readonly MersenneTwister19937 _generator;

    /// <summary>Equivalent of <c>random.seed(seed)</c> for an <c>int</c> seed.</summary>
    public CPythonRandom(long seed)
    {
        _generator = MersenneTwister19937.FromKey(SeedKey(seed));
    }

    /// <summary><c>random.getrandbits(bitCount)</c> for 1 to 32 bits: the top bits of one output.</summary>
    public uint GetRandBits(int bitCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bitCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bitCount, 32);
        return _generator.NextUInt32() >> (32 - bitCount);
    }

    /// <summary>
    /// <c>random._randbelow(bound)</c>: draws as many bits as <paramref name="bound"/> has and
    /// rejects results out of range, so the number of outputs consumed varies.
    /// </summary>
    public int RandBelow(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        int bitCount = 32 - int.LeadingZeroCount(bound);
        uint draw = GetRandBits(bitCount);
        while (draw >= (uint)bound)
        {
            draw = GetRandBits(bitCount);
        }

        return (int)draw;
    }

    /// <summary><c>random.shuffle(items)</c>: Fisher–Yates from the end, in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = RandBelow(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>
    /// CPython seeds with the absolute value of the integer cut into 32-bit words, least
    /// significant first; zero still gives one word.
    /// </summary>
    private static uint[] SeedKey(long seed)
    {
        ulong magnitude = seed < 0 ? (ulong)(-(seed + 1)) + 1 : (ulong)seed;
        uint low = (uint)magnitude;
        uint high = (uint)(magnitude >> 32);
        return high == 0 ? [low] : [low, high];
    }
}
