using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FedPrompt.Federation.Provisioning;

/// <summary>
/// Certificate validation that trusts one project's CA and nothing else: not the system's roots (a
/// certificate from a public CA must not make anyone a participant), no revocation lists (the project
/// publishes none) and no downloads of missing issuers.
/// </summary>
static class ProjectCaTrust
{
    /// <param name="purpose">The extended key usage the certificate must allow, see <see cref="TlsPurposes"/>.</param>
    public static X509ChainPolicy Policy(X509Certificate2 ca, Oid purpose)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(ca);
        policy.ApplicationPolicy.Add(purpose);
        return policy;
    }

    /// <summary>Why <paramref name="certificate"/> is not valid for <paramref name="purpose"/> under
    /// <paramref name="ca"/> right now, or null if it is.</summary>
    public static string? Problem(X509Certificate2 certificate, X509Certificate2 ca, Oid purpose)
    {
        using var chain = new X509Chain { ChainPolicy = Policy(ca, purpose) };
        if (chain.Build(certificate)) return null;
        return string.Join("; ", chain.ChainStatus.Select(status => Describe(status, certificate, purpose)).Distinct());
    }

    static string Describe(X509ChainStatus status, X509Certificate2 certificate, Oid purpose) => status.Status switch
    {
        X509ChainStatusFlags.PartialChain or X509ChainStatusFlags.UntrustedRoot => "it was not issued by this project's CA",
        X509ChainStatusFlags.NotTimeValid => "it has expired or is not yet valid (it is valid from "
            + $"{certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u})",
        X509ChainStatusFlags.NotValidForUsage => $"it is not meant for {purpose.FriendlyName}",
        _ => $"{status.Status} ({status.StatusInformation.Trim()})",
    };
}
