using System.Security.Cryptography;
using System.Text;

namespace FedPrompt.Federation.Privacy;

/// <summary>
/// The secret behind a participant's noise. Noise protects nothing from anyone who can regenerate
/// it: whoever knows the key can subtract it again. So the server's key (central mode) must stay on
/// the server and each site's (local mode) on that site — never in a job file others read, never
/// derived from public facts such as the job id, round and site name alone. Those facts only select
/// a stream under the key (<see cref="Stream"/>), so every round and participant gets independent
/// noise from one secret, and a rerun with the same key reproduces it exactly.
/// </summary>
public sealed class NoiseKey
{
    public const int Length = 32;

    readonly byte[] _secret;

    NoiseKey(byte[] secret) => _secret = secret;

    /// <summary>A fresh key from the operating system's cryptographic generator: what a real
    /// deployment uses. Persist it (<see cref="ToBytes"/>) with the participant's private state if a
    /// restarted job must redraw the same noise: releasing a round twice with fresh noise would
    /// spend its privacy twice.</summary>
    public static NoiseKey CreateRandom() => new(RandomNumberGenerator.GetBytes(Length));

    public static NoiseKey FromBytes(ReadOnlySpan<byte> secret) =>
        secret.Length == Length ? new(secret.ToArray()) : throw new ArgumentException($"a noise key is {Length} bytes (got {secret.Length})");

    /// <summary>A key from a small number, for reproducible experiments and tests only: such a seed
    /// is guessable, so the noise it makes gives no protection from whoever knows or guesses it.</summary>
    public static NoiseKey FromSeed(ulong seed)
    {
        var secret = new byte[Length];
        BitConverter.TryWriteBytes(secret, seed);
        return new(secret);
    }

    public byte[] ToBytes() => (byte[])_secret.Clone();

    /// <summary>The noise of one participant in one round of one job: an AES key derived as
    /// HMAC-SHA256(secret, job ⊕ round ⊕ participant), fields separated by NUL, which none of
    /// them contains.</summary>
    public GaussianNoise Stream(string jobId, int round, string participant)
    {
        var context = Encoding.UTF8.GetBytes($"{jobId}\0{round}\0{participant}");
        return new GaussianNoise(HMACSHA256.HashData(_secret, context));
    }
}
