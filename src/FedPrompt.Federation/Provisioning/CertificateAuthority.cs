using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FedPrompt.Federation.Provisioning;

/// <summary>
/// A project's own certificate authority: it signs the server's and every participant's certificate, and
/// trusting exactly this CA (not the system's roots) is what makes someone a member of the project.
/// Every key is ECDSA P-256, signed with SHA-256.
/// </summary>
sealed class CertificateAuthority(X509Certificate2 certificate) : IDisposable
{
    /// <summary>The CA's certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; } = certificate;

    public static CertificateAuthority Create(string projectName, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        // The builder encodes in reverse order of the calls: this gives the usual O, then CN.
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName($"{projectName} CA");
        subject.AddOrganizationName(projectName);
        using var key = NewKey();
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        // Path length 0: the CA signs participants only, never another CA.
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForCertificateAuthority(pathLengthConstraint: 0));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return new CertificateAuthority(request.CreateSelfSigned(notBefore, notAfter));
    }

    /// <summary>The server's certificate: valid for <paramref name="host"/> and for this machine's loopback
    /// names, so sites and admins on the server's own machine can connect too.</summary>
    public X509Certificate2 IssueServer(string name, string host, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var alternativeNames = new SubjectAlternativeNameBuilder();
        var dnsNames = HostNames.IsIpAddress(host, out var hostAddress)
            ? ["localhost"]
            : new[] { host, "localhost" }.Distinct(StringComparer.OrdinalIgnoreCase);
        var addresses = new[] { hostAddress, IPAddress.Loopback, IPAddress.IPv6Loopback }.OfType<IPAddress>().Distinct();
        foreach (string dnsName in dnsNames) alternativeNames.AddDnsName(dnsName);
        foreach (var address in addresses) alternativeNames.AddIpAddress(address);
        return Issue(name, ParticipantRole.Server, alternativeNames.Build(), notBefore, notAfter);
    }

    /// <summary>A site's or an admin's certificate, good for opening TLS connections only.</summary>
    public X509Certificate2 IssueClient(string name, ParticipantRole role, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (role == ParticipantRole.Server) throw new ArgumentException("the server's certificate comes from IssueServer", nameof(role));
        return Issue(name, role, alternativeNames: null, notBefore, notAfter);
    }

    public void Dispose() => Certificate.Dispose();

    X509Certificate2 Issue(string name, ParticipantRole role, X509Extension? alternativeNames,
        DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name);
        subject.AddOrganizationalUnitName(role.ToText());
        using var key = NewKey();
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForEndEntity(critical: true));
        // Digital signature is all an ECDSA key does in a TLS handshake.
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([role.TlsPurpose()], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(
            Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (alternativeNames is not null) request.CertificateExtensions.Add(alternativeNames);
        using var issued = request.Create(Certificate, notBefore, notAfter, SerialNumber());
        return issued.CopyWithPrivateKey(key);
    }

    static ECDsa NewKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    // Random, as RFC 5280 recommends, and positive: the top bit of the first byte is the sign in DER.
    static byte[] SerialNumber()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }
}
