using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace FedPrompt.Federation.Provisioning;

/// <summary>
/// Mutual TLS between the server and its sites and admins: each side presents its kit's certificate
/// and accepts the other's only if it chains to the project's CA (no system roots, no revocation
/// lists), so a connection exists only between members of the same project and the server knows
/// who is calling from <see cref="PeerIdentity"/>.
/// </summary>
public static class MutualTls
{
    /// <summary>Listens on <paramref name="bind"/> (every interface if null) and <paramref name="port"/>
    /// (0 picks a free one) for HTTP/2 over TLS with the server kit's certificate, and refuses during the
    /// handshake any client without a valid certificate from the project's CA.</summary>
    public static void ConfigureKestrel(KestrelServerOptions options, StartupKit kit, IPAddress? bind, int port)
    {
        ArgumentNullException.ThrowIfNull(kit);
        if (kit.Role != ParticipantRole.Server)
        {
            throw new ArgumentException(
                $"{kit.Folder}: only the server's kit can serve, this is the kit of the {kit.Role.ToText()} {kit.Name}", nameof(kit));
        }
        var https = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = kit.Certificate,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            CheckCertificateRevocation = false,
            // The chain the TLS layer built trusts the system's roots; only a chain to the project's CA counts.
            ClientCertificateValidation = (certificate, _, _) =>
                ProjectCaTrust.Problem(certificate, kit.CaCertificate, TlsPurposes.ClientAuthentication) is null,
        };
        void Listen(ListenOptions listen)
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(https);
        }
        if (bind is null) options.ListenAnyIP(port, Listen);
        else options.Listen(bind, port, Listen);
    }

    /// <summary>A handler for <c>GrpcChannel.ForAddress</c> (through <c>GrpcChannelOptions.HttpHandler</c>)
    /// that presents the kit's certificate and accepts only a server certificate from the project's CA
    /// that names the host connected to.</summary>
    public static SocketsHttpHandler CreateHandler(StartupKit kit)
    {
        ArgumentNullException.ThrowIfNull(kit);
        if (kit.Role == ParticipantRole.Server)
        {
            throw new ArgumentException(
                $"{kit.Folder}: the server's kit cannot connect as a client, its certificate is for serving only", nameof(kit));
        }
        return CreateHandler(kit.Certificate, kit.CaCertificate);
    }

    /// <summary><see cref="CreateHandler(StartupKit)"/> with any certificate and CA, so tests can be
    /// clients no provisioned kit describes.</summary>
    internal static SocketsHttpHandler CreateHandler(X509Certificate2 clientCertificate, X509Certificate2 ca) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            // A fixed certificate rather than ClientCertificates: .NET picks from that list by the CAs the
            // server names, and may send nothing when it names none that match.
            ClientCertificateContext = SslStreamCertificateContext.Create(clientCertificate, additionalCertificates: null, offline: true),
            // With a chain policy, TLS validates the server against the project's CA alone and still
            // checks that the certificate names the host.
            CertificateChainPolicy = ProjectCaTrust.Policy(ca, TlsPurposes.ServerAuthentication),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        },
    };
}
