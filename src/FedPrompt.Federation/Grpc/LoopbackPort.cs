using System.Net;
using System.Net.Sockets;

namespace FedPrompt.Federation.Grpc;

/// <summary>A port free on loopback now, for deployments whose kits must name the server's port
/// before the server starts (benchmarks, process-level tests). Another process may take it in
/// between; on loopback in a test or benchmark that is rare enough.</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
