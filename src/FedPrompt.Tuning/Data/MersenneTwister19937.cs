namespace FedPrompt.Tuning.Data;

/// <summary>
/// The MT19937 generator (Matsumoto and Nishimura, 1998) that both CPython's <c>random</c>
/// module and NumPy's legacy <c>RandomState</c> are built on. The two differ only in how they
/// seed it, so both seeding routines live here and the wrappers choose one.
/// </summary>
public sealed class MersenneTwister19937
{
    private const int StateLength = 624;
    private const int ShiftSize = 397;
    private const uint MatrixA = 0x9908b0dfu;
    private const uint UpperMask = 0x80000000u;
    private const uint LowerMask = 0x7fffffffu;

    private readonly uint[] _state = new uint[StateLength];
    private int _index;

    private MersenneTwister19937()
    {
    }

    /// <summary>Seeds with one 32-bit word (<c>init_genrand</c>), as NumPy does for an integer seed.</summary>
    public static MersenneTwister19937 FromSeed(uint seed)
    {
        var generator = new MersenneTwister19937();
        generator.InitGenrand(seed);
        return generator;
    }

    /// <summary>Seeds with a key of 32-bit words (<c>init_by_array</c>), as CPython does for an integer seed.</summary>
    public static MersenneTwister19937 FromKey(ReadOnlySpan<uint> key)
    {
        if (key.IsEmpty)
        {
            throw new ArgumentException("init_by_array needs at least one key word.", nameof(key));
        }

        var generator = new MersenneTwister19937();
        generator.InitGenrand(19650218u);
        uint[] mt = generator._state;
        int i = 1;
        int j = 0;
        for (int k = Math.Max(StateLength, key.Length); k > 0; k--)
        {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint)j;
            i++;
            j++;
            if (i >= StateLength)
            {
                mt[0] = mt[StateLength - 1];
                i = 1;
            }

            if (j >= key.Length)
            {
                j = 0;
            }
        }

        for (int k = StateLength - 1; k > 0; k--)
        {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - (uint)i;
            i++;
            if (i >= StateLength)
            {
                mt[0] = mt[StateLength - 1];
                i = 1;
            }
        }

        // Guarantees a non-zero state whatever the key.
        mt[0] = 0x80000000u;
        return generator;
    }

    /// <summary>The next tempered 32-bit output (<c>genrand_uint32</c>).</summary>
    public uint NextUInt32()
    {
        if (_index >= StateLength)
        {
            Regenerate();
        }

        uint y = _state[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>
    /// A double in [0, 1) with 53 random bits made from two outputs (27 + 26 bits), the formula
    /// shared by CPython's <c>random()</c> and NumPy's <c>random_sample()</c>.
    /// </summary>
    public double NextDouble()
    {
        uint high = NextUInt32() >> 5;
        uint low = NextUInt32() >> 6;
        return (high * 67108864.0 + low) * (1.0 / 9007199254740992.0);
    }

    private void InitGenrand(uint seed)
    {
        _state[0] = seed;
        for (int i = 1; i < StateLength; i++)
        {
            _state[i] = 1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i;
        }

        _index = StateLength;
    }

    private void Regenerate()
    {
        uint[] mt = _state;
        int kk;
        for (kk = 0; kk < StateLength - ShiftSize; kk++)
        {
            mt[kk] = mt[kk + ShiftSize] ^ Twist(mt[kk], mt[kk + 1]);
        }

        for (; kk < StateLength - 1; kk++)
        {
            mt[kk] = mt[kk + ShiftSize - StateLength] ^ Twist(mt[kk], mt[kk + 1]);
        }

        mt[StateLength - 1] = mt[ShiftSize - 1] ^ Twist(mt[StateLength - 1], mt[0]);
        _index = 0;
    }

    private static uint Twist(uint current, uint next)
    {
        uint y = (current & UpperMask) | (next & LowerMask);
        return (y >> 1) ^ ((y & 1u) != 0 ? MatrixA : 0u);
    }
}
