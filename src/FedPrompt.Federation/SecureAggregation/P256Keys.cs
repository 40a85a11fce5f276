using System.Security.Cryptography;

namespace FedPrompt.Federation.SecureAggregation;

/// <summary>
/// The ECDH keys of secure aggregation: NIST P-256, public keys exchanged as DER X.509
/// SubjectPublicKeyInfo — self-describing, so a key on another curve or a truncated key is refused
/// by name instead of yielding a wrong shared secret.
/// </summary>
internal static class P256Keys
{
    const string CurveOid = "1.2.840.10045.3.1.7";

    public static ECDiffieHellman CreateKeyPair() => ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    /// <exception cref="ArgumentException">The bytes are not exactly one P-256 public key.</exception>
    public static ECDiffieHellman ImportPublicKey(string site, byte[] subjectPublicKeyInfo)
    {
        var key = ECDiffieHellman.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out int read);
            if (read != subjectPublicKeyInfo.Length)
                throw new ArgumentException($"{site}'s public key has {subjectPublicKeyInfo.Length - read} bytes after the key");
            if (key.ExportParameters(includePrivateParameters: false).Curve.Oid.Value != CurveOid)
                throw new ArgumentException($"{site}'s public key is not on curve P-256");
            return key;
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new ArgumentException($"{site}'s public key is not a P-256 SubjectPublicKeyInfo: {e.Message}", e);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
