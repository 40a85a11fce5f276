using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using FedPrompt.Federation.Provisioning;
using FedPrompt.Testing;

namespace FedPrompt.Federation.Tests.Provisioning;

public sealed class ProvisionerTests
{
    const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    [Fact]
    public void WritesTheCaFolderAndOneKitPerParticipant()
    {
        using var project = new ProvisionedProject();

        Assert.Equal(["admin@example.org", "ca", "server", "site-1", "site-2"],
            Directory.GetFileSystemEntries(project.OutDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["ca.crt", "ca.key"], FileNames(Path.Combine(project.OutDir, "ca")));
        Assert.Equal(["ca.crt", "kit.json", "server.crt", "server.key", "start.sh"], FileNames(project.Kit("server")));
        Assert.Equal(["ca.crt", "kit.json", "site.crt", "site.key", "start.sh"], FileNames(project.Kit("site-1")));
        Assert.Equal(["README.txt", "admin.crt", "admin.key", "ca.crt", "kit.json"], FileNames(project.Kit(ProvisionedProject.Admin)));
        Assert.Equal([project.OutDir], Directory.GetFileSystemEntries(project.Parent));
    }

    [Fact]
    public void KeysAreReadableByTheOwnerOnlyAndStartScriptsAreExecutable()
    {
        if (OperatingSystem.IsWindows()) return;
        using var project = new ProvisionedProject();
        const UnixFileMode ownerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

        Assert.Equal(ownerReadWrite, File.GetUnixFileMode(Path.Combine(project.OutDir, "ca", "ca.key")));
        Assert.Equal(ownerReadWrite, File.GetUnixFileMode(Path.Combine(project.Kit("server"), "server.key")));
        Assert.Equal(ownerReadWrite, File.GetUnixFileMode(Path.Combine(project.Kit("site-2"), "site.key")));
        Assert.Equal(ownerReadWrite, File.GetUnixFileMode(Path.Combine(project.Kit(ProvisionedProject.Admin), "admin.key")));
        Assert.True(File.GetUnixFileMode(Path.Combine(project.Kit("site-1"), "start.sh")).HasFlag(
            UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.Combine(project.OutDir, "ca")));
    }

    [Fact]
    public void KitFilesSayWhoseKitItIsAndHowToStartIt()
    {
        using var project = new ProvisionedProject();

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.Kit("site-1"), "kit.json")));
        Assert.Equal(
            [("project", "fedprompt-test"), ("name", "site-1"), ("role", "site"), ("server_host", "localhost"),
             ("server_port", "8443")],
            manifest.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.ToString())));
        string serverScript = File.ReadAllText(Path.Combine(project.Kit("server"), "start.sh"));
        Assert.Contains("exec fedprompt server --kit \"$(dirname \"$0\")\"", serverScript);
        string siteScript = File.ReadAllText(Path.Combine(project.Kit("site-2"), "start.sh"));
        Assert.StartsWith("#!/bin/sh\n", siteScript);
        Assert.Contains("exec fedprompt site --kit \"$(dirname \"$0\")\"", siteScript);
        string adminReadme = File.ReadAllText(Path.Combine(project.Kit(ProvisionedProject.Admin), "README.txt"));
        Assert.Contains("fedprompt admin --kit <this folder> <command>", adminReadme);
    }

    [Fact]
    public void TheCaSignsCertificatesOnly()
    {
        using var project = new ProvisionedProject();

        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(project.OutDir, "ca", "ca.crt")));

        Assert.Equal(ca.SubjectName.RawData, ca.IssuerName.RawData);
        Assert.True(Extension<X509BasicConstraintsExtension>(ca).CertificateAuthority);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, Extension<X509KeyUsageExtension>(ca).KeyUsages);
        using var key = ca.GetECDsaPublicKey();
        Assert.Equal(256, key!.KeySize);
        Assert.InRange(ca.NotAfter - DateTime.Now, TimeSpan.FromDays(29.9), TimeSpan.FromDays(30));
    }

    [Fact]
    public void TheServerCertificateNamesTheHostAndTheLoopbackAddresses()
    {
        using var project = new ProvisionedProject("fedprompt-test", host: "fl.example.org");
        using var server = project.LoadKit("server");

        var names = Extension<X509SubjectAlternativeNameExtension>(server.Certificate);
        Assert.Equal(["fl.example.org", "localhost"], names.EnumerateDnsNames().Order());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], names.EnumerateIPAddresses());
        Assert.Equal([ServerAuthentication], Purposes(server.Certificate));
        Assert.Equal("CN=server, OU=server", server.Certificate.Subject);
    }

    [Fact]
    public void AnIpAddressHostBecomesAnAddressName()
    {
        using var project = new ProvisionedProject("fedprompt-test", host: "10.1.2.3");
        using var server = project.LoadKit("server");

        var names = Extension<X509SubjectAlternativeNameExtension>(server.Certificate);
        Assert.Equal(["localhost"], names.EnumerateDnsNames());
        Assert.Contains(IPAddress.Parse("10.1.2.3"), names.EnumerateIPAddresses());
    }

    [Fact]
    public void SitesAndAdminsGetClientCertificatesWithTheirRole()
    {
        using var project = new ProvisionedProject();
        using var site = project.LoadKit("site-2");
        using var admin = project.LoadKit(ProvisionedProject.Admin);

        Assert.Equal("CN=site-2, OU=site", site.Certificate.Subject);
        Assert.Equal("CN=admin@example.org, OU=admin", admin.Certificate.Subject);
        Assert.Equal([ClientAuthentication], Purposes(site.Certificate));
        Assert.Equal([ClientAuthentication], Purposes(admin.Certificate));
        Assert.False(Extension<X509BasicConstraintsExtension>(site.Certificate).CertificateAuthority);
    }

    [Fact]
    public void RefusesAFolderThatIsNotEmptyAndTouchesNothing()
    {
        using var folder = new TemporaryDirectory();
        string outDir = folder.File("kits");
        Directory.CreateDirectory(outDir);
        string precious = Path.Combine(outDir, "precious.txt");
        File.WriteAllText(precious, "keep me");

        var error = Assert.Throws<IOException>(() => Provisioner.Provision(ProvisionedProject.Define("p"), outDir));

        Assert.Equal($"{outDir}: refusing to provision into a folder that is not empty", error.Message);
        Assert.Equal([precious], Directory.GetFileSystemEntries(outDir));
        Assert.Equal([outDir], Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void FillsAnEmptyFolder()
    {
        using var folder = new TemporaryDirectory();
        string outDir = folder.File("kits");
        Directory.CreateDirectory(outDir);

        Provisioner.Provision(ProvisionedProject.Define("p"), outDir + Path.DirectorySeparatorChar);

        Assert.True(File.Exists(Path.Combine(outDir, "site-1", "site.key")));
        Assert.Equal([outDir], Directory.GetFileSystemEntries(folder.Path));
    }

    static IEnumerable<string> FileNames(string folder) =>
        Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    static T Extension<T>(X509Certificate2 certificate) where T : X509Extension =>
        certificate.Extensions.OfType<T>().Single();

    static IEnumerable<string?> Purposes(X509Certificate2 certificate) =>
        Extension<X509EnhancedKeyUsageExtension>(certificate).EnhancedKeyUsages.Cast<Oid>().Select(oid => oid.Value);
}
