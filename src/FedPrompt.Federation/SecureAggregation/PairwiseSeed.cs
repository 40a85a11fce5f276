using System.Security.Cryptography;

namespace FedPrompt.Federation.SecureAggregation;

/// <summary>
/// The seed of a pair's mask: HKDF-SHA256 of the pair's raw ECDH secret, bound by its info to the
/// job, the round and the two site names in ordinal order. Both sites of the pair derive the same
/// seed (ECDH is symmetric and the names are sorted); nobody else can, the server included, as it
/// only ever sees public keys.
/// </summary>
internal static class PairwiseSeed
{
    /// <summary>An AES-256 key for <see cref="MaskStream"/>.</summary>
    public const int Length = 32;

    public static byte[] Derive(ECDiffieHellman own, ECDiffieHellmanPublicKey other, string jobId, int round, string site, string otherSite)
    {
        var (first, second) = string.CompareOrdinal(site, otherSite) < 0 ? (site, otherSite) : (otherSite, site);
        var info = new FieldEncoder().Add("fedprompt/secure-aggregation/v1/pair-seed").Add(jobId).Add(round).Add(first).Add(second).ToArray();
        var secret = own.DeriveRawSecretAgreement(other);
        try
        {
            // No salt: the secret is a fresh uniformly random group element per pair and attempt, so
            // HKDF's extract step needs none (RFC 5869 §3.1).
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, Length, salt: [], info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
