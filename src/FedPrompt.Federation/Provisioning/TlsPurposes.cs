using System.Security.Cryptography;

namespace FedPrompt.Federation.Provisioning;

/// <summary>The extended key usages that say which side of a TLS connection a certificate may be.</summary>
static class TlsPurposes
{
    // Fresh instances: Oid objects are mutable and chain policies keep the ones they are given.
    public static Oid ServerAuthentication => new("1.3.6.1.5.5.7.3.1", "TLS server authentication");

    public static Oid ClientAuthentication => new("1.3.6.1.5.5.7.3.2", "TLS client authentication");
}
