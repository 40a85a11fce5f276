namespace FedPrompt.Federation.Provisioning;

/// <summary>The files in a startup kit folder.</summary>
static class KitLayout
{
    public const string CaCertificate = "ca.crt";
    public const string Manifest = "kit.json";
    public const string StartScript = "start.sh";
    // Admins run one command at a time, so their kit explains the command instead of starting anything.
    public const string AdminReadme = "README.txt";

    public static string Certificate(ParticipantRole role) => $"{role.ToText()}.crt";

    public static string PrivateKey(ParticipantRole role) => $"{role.ToText()}.key";
}
