namespace FedPrompt.Federation.SecureAggregation;

/// <summary>
/// One participant of a secure aggregation attempt: the site's name and the fresh ECDH public key it
/// announced for the attempt (P-256, DER SubjectPublicKeyInfo, <see cref="SecureAggregationSession.PublicKey"/>).
/// The key is checked here, so the server refuses a malformed announcement on arrival, naming the
/// site, instead of relaying it and having every other site fail.
/// </summary>
public sealed class SitePublicKey
{
    /// <exception cref="ArgumentException">The name is empty or the key is not a P-256 public key.</exception>
    public SitePublicKey(string site, byte[] publicKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(site);
        using (P256Keys.ImportPublicKey(site, publicKey)) { }
        Site = site;
        // A copy: the key was checked, and a caller's later change to its array must not slip past that.
        PublicKey = (byte[])publicKey.Clone();
    }

    public string Site { get; }

    public byte[] PublicKey { get; }
}
