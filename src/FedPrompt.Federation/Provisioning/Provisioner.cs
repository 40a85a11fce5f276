namespace FedPrompt.Federation.Provisioning;

/// <summary>
/// Creates a project's CA and one startup kit per participant:
/// <c>outDir/&lt;name&gt;/</c> with <c>ca.crt</c>, <c>&lt;role&gt;.crt</c>, <c>&lt;role&gt;.key</c>,
/// <c>kit.json</c> and <c>start.sh</c> (<c>README.txt</c> for admins), and <c>outDir/ca/</c> with the
/// CA's certificate and key, which belong to whoever provisions and go into no kit.
/// </summary>
public static class Provisioner
{
    public const string CaFolderName = "ca";
    public const string CaCertificateFile = "ca.crt";
    public const string CaKeyFile = "ca.key";

    // Certificates start an hour before provisioning so a participant whose clock is a little behind
    // the provisioning machine's does not see them as not yet valid.
    static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromHours(1);

    /// <summary>Writes everything into <paramref name="outDir"/>, which must not exist or be empty. The kits
    /// are built in a private folder next to it and renamed into place, so a failure leaves no partial kits.</summary>
    public static void Provision(ProjectDefinition project, string outDir)
    {
        ArgumentNullException.ThrowIfNull(project);
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        if (File.Exists(target)) throw new IOException($"{target}: cannot provision into it, it is a file");
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new IOException($"{target}: refusing to provision into a folder that is not empty");
        string parent = Path.GetDirectoryName(target)
            ?? throw new IOException($"{target}: cannot provision into a file system root");
        Directory.CreateDirectory(parent);
        string staging = Path.Combine(parent, $".{Path.GetFileName(target)}.provisioning-{Guid.NewGuid():N}");
        FilePermissions.CreatePrivateDirectory(staging);
        try
        {
            WriteProject(project, staging, DateTimeOffset.UtcNow);
            // Removes only an empty folder (Directory.Move will not replace one); anything that appeared
            // in it since the check above makes this throw instead of being lost.
            if (Directory.Exists(target)) Directory.Delete(target);
            Directory.Move(staging, target);
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    static void WriteProject(ProjectDefinition project, string folder, DateTimeOffset now)
    {
        var notBefore = now - ClockSkewAllowance;
        var notAfter = now.AddDays(project.ValidityDays);
        using var ca = CertificateAuthority.Create(project.Name, notBefore, notAfter);
        string caFolder = Path.Combine(folder, CaFolderName);
        FilePermissions.CreatePrivateDirectory(caFolder);
        PemFiles.WriteCertificate(Path.Combine(caFolder, CaCertificateFile), ca.Certificate);
        PemFiles.WritePrivateKey(Path.Combine(caFolder, CaKeyFile), ca.Certificate);
        foreach (var (name, role) in project.Participants)
        {
            using var certificate = role == ParticipantRole.Server
                ? ca.IssueServer(name, project.Server.Host, notBefore, notAfter)
                : ca.IssueClient(name, role, notBefore, notAfter);
            var manifest = new KitManifest(project.Name, name, role, project.Server.Host, project.Server.Port,
                role == ParticipantRole.Server ? project.Sites : null);
            StartupKitWriter.Write(Path.Combine(folder, name), manifest, certificate, ca.Certificate);
        }
    }
}
