using System.Security.Cryptography.X509Certificates;
using FedPrompt.Federation.Provisioning;

namespace FedPrompt.Federation.Tests.Provisioning;

public sealed class StartupKitTests
{
    [Theory]
    [InlineData("server", ParticipantRole.Server)]
    [InlineData("site-1", ParticipantRole.Site)]
    [InlineData(ProvisionedProject.Admin, ParticipantRole.Admin)]
    public void LoadsWhatProvisioningWrote(string name, ParticipantRole role)
    {
        using var project = new ProvisionedProject();

        using var kit = project.LoadKit(name);

        Assert.Equal(project.Kit(name), kit.Folder);
        Assert.Equal("fedprompt-test", kit.Project);
        Assert.Equal(name, kit.Name);
        Assert.Equal(role, kit.Role);
        Assert.Equal("localhost", kit.ServerHost);
        Assert.Equal(8443, kit.ServerPort);
        Assert.True(kit.Certificate.HasPrivateKey);
        Assert.Equal(new PeerIdentity(name, role), PeerIdentity.From(kit.Certificate));
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(project.OutDir, "ca", "ca.crt")));
        Assert.Equal(ca.Thumbprint, kit.CaCertificate.Thumbprint);
        Assert.False(kit.CaCertificate.HasPrivateKey);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        using var project = new ProvisionedProject();
        File.Delete(Path.Combine(project.Kit("site-1"), "site.key"));

        var error = Assert.Throws<FileNotFoundException>(() => project.LoadKit("site-1"));

        Assert.Equal($"{project.Kit("site-1")}: incomplete startup kit, missing site.key", error.Message);
        Assert.Equal(Path.Combine(project.Kit("site-1"), "site.key"), error.FileName);
    }

    [Fact]
    public void AKeyOfAnotherCertificateIsRefused()
    {
        using var project = new ProvisionedProject();
        string key = Path.Combine(project.Kit("site-1"), "site.key");
        File.Copy(Path.Combine(project.Kit("site-2"), "site.key"), key, overwrite: true);

        var error = Assert.Throws<InvalidDataException>(() => project.LoadKit("site-1"));

        Assert.Equal($"{key}: not the private key of the certificate in {Path.Combine(project.Kit("site-1"), "site.crt")}", error.Message);
    }

    [Fact]
    public void ACertificateFromAnotherCaIsRefused()
    {
        using var project = new ProvisionedProject();
        using var other = new ProvisionedProject("other-project");
        File.Copy(Path.Combine(other.Kit("site-1"), "ca.crt"), Path.Combine(project.Kit("site-1"), "ca.crt"), overwrite: true);

        var error = Assert.Throws<InvalidDataException>(() => project.LoadKit("site-1"));

        Assert.Equal($"{Path.Combine(project.Kit("site-1"), "site.crt")}: not valid under the CA in "
            + $"{Path.Combine(project.Kit("site-1"), "ca.crt")}: it was not issued by this project's CA", error.Message);
    }

    [Fact]
    public void AManifestForSomeoneElseIsRefused()
    {
        using var project = new ProvisionedProject();
        string manifest = Path.Combine(project.Kit("site-1"), "kit.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"site-1\"", "\"site-2\""));

        var error = Assert.Throws<InvalidDataException>(() => project.LoadKit("site-1"));

        Assert.Equal($"{Path.Combine(project.Kit("site-1"), "site.crt")}: issued to the site site-1 but {manifest} is for the site site-2",
            error.Message);
    }

    [Fact]
    public void AManifestWithAnUnknownRoleIsRefused()
    {
        using var project = new ProvisionedProject();
        string manifest = Path.Combine(project.Kit("site-1"), "kit.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"site\"", "\"observer\""));

        var error = Assert.Throws<InvalidDataException>(() => project.LoadKit("site-1"));

        Assert.Equal($"{manifest}: \"role\" must be server, site or admin (found \"observer\")", error.Message);
    }

    [Fact]
    public void ACorruptCertificateIsNamed()
    {
        using var project = new ProvisionedProject();
        string certificate = Path.Combine(project.Kit("site-1"), "site.crt");
        File.WriteAllText(certificate, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");

        var error = Assert.Throws<InvalidDataException>(() => project.LoadKit("site-1"));

        Assert.StartsWith($"{certificate}: not a PEM certificate", error.Message);
    }

    [Fact]
    public void AMissingFolderIsNamed()
    {
        using var project = new ProvisionedProject();

        var error = Assert.Throws<DirectoryNotFoundException>(() => project.LoadKit("site-9"));

        Assert.Equal($"{project.Kit("site-9")}: startup kit folder not found", error.Message);
    }
}
