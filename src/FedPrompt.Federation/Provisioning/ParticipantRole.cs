using System.Security.Cryptography;

namespace FedPrompt.Federation.Provisioning;

/// <summary>What a participant may do; certificates carry it as their subject's organisational unit.</summary>
public enum ParticipantRole
{
    Server,
    Site,
    Admin,
}

public static class ParticipantRoles
{
    /// <summary>The role's name as written in certificates, kit files and commands ("server", "site", "admin").</summary>
    public static string ToText(this ParticipantRole role) => role switch
    {
        ParticipantRole.Server => "server",
        ParticipantRole.Site => "site",
        ParticipantRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>For messages that say what a role may be.</summary>
    internal const string Choices = "server, site or admin";

    public static bool TryParse(string text, out ParticipantRole role)
    {
        foreach (var candidate in Enum.GetValues<ParticipantRole>())
        {
            if (candidate.ToText() == text)
            {
                role = candidate;
                return true;
            }
        }
        role = default;
        return false;
    }

    /// <summary>The extended key usage a certificate of this role has: the server only ever accepts
    /// TLS connections and everyone else only opens them, so a site's certificate cannot pose as the server.</summary>
    internal static Oid TlsPurpose(this ParticipantRole role) =>
        role == ParticipantRole.Server ? TlsPurposes.ServerAuthentication : TlsPurposes.ClientAuthentication;
}
