using System.Security.Cryptography.X509Certificates;

namespace FedPrompt.Federation.Provisioning;

/// <summary>
/// Who is on the other end of a connection, read from the certificate the TLS handshake already
/// validated against the project's CA: the name is the subject's common name and the role its
/// organisational unit. Only the project's CA issues such certificates, so both can be trusted —
/// but only for a certificate that passed <see cref="MutualTls"/>' validation.
/// </summary>
public sealed record PeerIdentity(string Name, ParticipantRole Role)
{
    const string CommonNameOid = "2.5.4.3";
    const string OrganizationalUnitOid = "2.5.4.11";

    public static PeerIdentity From(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string name = SingleAttribute(certificate, CommonNameOid, "common name (CN)");
        string role = SingleAttribute(certificate, OrganizationalUnitOid, "role (OU)");
        return ParticipantRoles.TryParse(role, out var parsed)
            ? new PeerIdentity(name, parsed)
            : throw new InvalidDataException(
                $"certificate \"{certificate.Subject}\": unknown role \"{role}\" (expected {ParticipantRoles.Choices})");
    }

    public override string ToString() => $"{Role.ToText()} {Name}";

    static string SingleAttribute(X509Certificate2 certificate, string oid, string description)
    {
        var values = certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(rdn => !rdn.HasMultipleElements && rdn.GetSingleElementType().Value == oid)
            .Select(rdn => rdn.GetSingleElementValue())
            .ToList();
        return values is [{ } value]
            ? value
            : throw new InvalidDataException($"certificate \"{certificate.Subject}\": needs exactly one {description}, has {values.Count}");
    }
}
