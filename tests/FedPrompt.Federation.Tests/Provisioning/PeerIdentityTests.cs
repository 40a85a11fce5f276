using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedPrompt.Federation.Provisioning;

namespace FedPrompt.Federation.Tests.Provisioning;

public sealed class PeerIdentityTests
{
    [Fact]
    public void ReadsTheNameAndTheRole()
    {
        using var certificate = SelfSigned("CN=site-3, OU=site, O=fedprompt");

        Assert.Equal(new PeerIdentity("site-3", ParticipantRole.Site), PeerIdentity.From(certificate));
    }

    [Theory]
    [InlineData("CN=site-3", "needs exactly one role (OU), has 0")]
    [InlineData("CN=site-3, OU=site, OU=admin", "needs exactly one role (OU), has 2")]
    [InlineData("OU=site", "needs exactly one common name (CN), has 0")]
    [InlineData("CN=site-3, OU=Site", "unknown role \"Site\" (expected server, site or admin)")]
    public void RefusesACertificateWithoutExactlyOneKnownRoleAndName(string subject, string expected)
    {
        using var certificate = SelfSigned(subject);

        var error = Assert.Throws<InvalidDataException>(() => PeerIdentity.From(certificate));

        Assert.EndsWith(expected, error.Message);
    }

    [Fact]
    public void ASiteCertificateIsNotMeantForServing()
    {
        using var project = new ProvisionedProject();
        using var site = project.LoadKit("site-1");

        Assert.Equal("it is not meant for TLS server authentication",
            ProjectCaTrust.Problem(site.Certificate, site.CaCertificate, TlsPurposes.ServerAuthentication));
    }

    static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
    }
}
