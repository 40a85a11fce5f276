using System.Net.Sockets;
using System.Security.Authentication;
using FedPrompt.Federation.Site;
using Grpc.Core;

namespace FedPrompt.Federation.Tests.Site;

/// <summary>A site's "cannot reach the server" line says what went wrong without gRPC's status dump or .NET type names.</summary>
public class ConnectionProblemTests
{
    static RpcException Unavailable(string detail, Exception? debug = null) => new(new Status(StatusCode.Unavailable, detail, debug));

    [Fact]
    public void ARefusedConnectionIsNamedByItsInnermostCause()
    {
        var refused = Unavailable("Error starting gRPC call. HttpRequestException: Connection refused (localhost:5000) SocketException: Connection refused",
            new HttpRequestException("Connection refused (localhost:5000)", new SocketException((int)SocketError.ConnectionRefused)));
        Assert.Equal(new SocketException((int)SocketError.ConnectionRefused).Message, ConnectionProblem.Describe(refused));
    }

    [Fact]
    public void AStatusWithoutItsExceptionLosesTheTypeNamesOfItsDetail() =>
        Assert.Equal("Name or service not known (nowhere:5000)",
            ConnectionProblem.Describe(Unavailable("Error starting gRPC call. HttpRequestException: Name or service not known (nowhere:5000)")));

    [Fact]
    public void AServerCertificateFromAnotherProjectIsSaidSo()
    {
        var handshake = Unavailable("Error starting gRPC call.", new HttpRequestException("The SSL connection could not be established, see inner exception.",
            new AuthenticationException("The remote certificate is invalid because of errors in the certificate chain: PartialChain")));
        Assert.Equal("the TLS handshake failed: the server's certificate was not issued by this kit's project CA (is the kit from another project?)",
            ConnectionProblem.Describe(handshake));
    }
}
