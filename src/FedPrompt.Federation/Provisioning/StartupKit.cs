using System.Security.Cryptography.X509Certificates;

namespace FedPrompt.Federation.Provisioning;

/// <summary>
/// A participant's startup kit as written by <see cref="Provisioner"/>: its identity, where the server
/// is, its certificate and key, and the project's CA certificate. Loading checks that the pieces belong
/// together, so a kit that loads can take part in mutual TLS.
/// </summary>
public sealed class StartupKit : IDisposable
{
    readonly KitManifest _manifest;

    StartupKit(string folder, KitManifest manifest, X509Certificate2 certificate, X509Certificate2 caCertificate)
    {
        Folder = folder;
        _manifest = manifest;
        Certificate = certificate;
        CaCertificate = caCertificate;
    }

    /// <summary>The kit's folder, as a full path.</summary>
    public string Folder { get; }

    public string Project => _manifest.Project;

    public string Name => _manifest.Name;

    public ParticipantRole Role => _manifest.Role;

    public string ServerHost => _manifest.ServerHost;

    public int ServerPort => _manifest.ServerPort;

    /// <summary>A server's kit: the project's sites (null in kits provisioned before kits listed them).</summary>
    public IReadOnlyList<string>? Sites => _manifest.Sites;

    /// <summary>This participant's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public X509Certificate2 CaCertificate { get; }

    /// <summary>Reads the kit in <paramref name="folder"/>; a missing file is a <see cref="FileNotFoundException"/>,
    /// anything wrong inside one an <see cref="InvalidDataException"/>, both naming the file.</summary>
    public static StartupKit Load(string folder)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: startup kit folder not found");
        RequireFiles(folder, KitLayout.Manifest);
        string manifestPath = Path.Combine(folder, KitLayout.Manifest);
        var manifest = KitManifest.Read(manifestPath);
        string caPath = Path.Combine(folder, KitLayout.CaCertificate);
        string certificatePath = Path.Combine(folder, KitLayout.Certificate(manifest.Role));
        string keyPath = Path.Combine(folder, KitLayout.PrivateKey(manifest.Role));
        RequireFiles(folder, KitLayout.CaCertificate, KitLayout.Certificate(manifest.Role), KitLayout.PrivateKey(manifest.Role));

        var ca = PemFiles.ReadCertificate(caPath);
        X509Certificate2? certificate = null;
        try
        {
            if (ca.Extensions.OfType<X509BasicConstraintsExtension>().SingleOrDefault() is not { CertificateAuthority: true })
                throw new InvalidDataException($"{caPath}: not a CA certificate");
            certificate = PemFiles.ReadCertificateWithKey(certificatePath, keyPath);
            if (ProjectCaTrust.Problem(certificate, ca, manifest.Role.TlsPurpose()) is { } problem)
                throw new InvalidDataException($"{certificatePath}: not valid under the CA in {caPath}: {problem}");
            var expected = new PeerIdentity(manifest.Name, manifest.Role);
            var identity = PeerIdentity.From(certificate);
            if (identity != expected)
                throw new InvalidDataException($"{certificatePath}: issued to the {identity} but {manifestPath} is for the {expected}");
            return new StartupKit(folder, manifest, certificate, ca);
        }
        catch
        {
            certificate?.Dispose();
            ca.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Certificate.Dispose();
        CaCertificate.Dispose();
    }

    static void RequireFiles(string folder, params string[] names)
    {
        var missing = names.Where(name => !File.Exists(Path.Combine(folder, name))).ToList();
        if (missing.Count > 0)
        {
            throw new FileNotFoundException($"{folder}: incomplete startup kit, missing {string.Join(", ", missing)}",
                Path.Combine(folder, missing[0]));
        }
    }
}
