using System.Security.Cryptography.X509Certificates;
using FedPrompt.Formats;

namespace FedPrompt.Federation.Provisioning;

/// <summary>Writes one participant's startup kit folder, the counterpart of <see cref="StartupKit.Load"/>.</summary>
static class StartupKitWriter
{
    /// <param name="certificate">The participant's certificate with its private key.</param>
    public static void Write(string folder, KitManifest manifest, X509Certificate2 certificate, X509Certificate2 ca)
    {
        Directory.CreateDirectory(folder);
        PemFiles.WriteCertificate(Path.Combine(folder, KitLayout.CaCertificate), ca);
        PemFiles.WriteCertificate(Path.Combine(folder, KitLayout.Certificate(manifest.Role)), certificate);
        PemFiles.WritePrivateKey(Path.Combine(folder, KitLayout.PrivateKey(manifest.Role)), certificate);
        manifest.Write(Path.Combine(folder, KitLayout.Manifest));
        if (manifest.Role == ParticipantRole.Admin)
        {
            AtomicFile.WriteAllText(Path.Combine(folder, KitLayout.AdminReadme),
                $"""
                FedPrompt admin kit of {manifest.Name} for project {manifest.Project}.
                Run an admin command with: fedprompt admin --kit <this folder> <command>

                """);
        }
        else
        {
            string script = Path.Combine(folder, KitLayout.StartScript);
            // Names are restricted to characters that need no quoting, so they can go into the script as they are.
            AtomicFile.WriteAllText(script,
                $"""
                #!/bin/sh
                # Starts the FedPrompt {manifest.Role.ToText()} {manifest.Name} of project {manifest.Project} with this startup kit.
                exec fedprompt {manifest.Role.ToText()} --kit "$(dirname "$0")" "$@"

                """);
            FilePermissions.MakeExecutable(script);
        }
    }
}
