using System.Text.RegularExpressions;
using Grpc.Core;

namespace FedPrompt.Federation.Site;

/// <summary>Why a site cannot reach its server, in words: gRPC's own message is a dump of its status
/// record and the .NET exceptions under it ("Status(StatusCode=\"Unavailable\", … HttpRequestException: …").</summary>
public static partial class ConnectionProblem
{
    public static string Describe(Exception e)
    {
        var messages = Chain(e is RpcException { Status.DebugException: { } debug } ? debug : e)
            .Select(x => x is RpcException rpc ? rpc.Status.Detail : x.Message).Where(m => m.Length > 0).ToList();
        if (messages.Any(m => m.Contains("PartialChain", StringComparison.Ordinal) || m.Contains("UntrustedRoot", StringComparison.Ordinal)))
            return "the TLS handshake failed: the server's certificate was not issued by this kit's project CA (is the kit from another project?)";
        // The innermost cause is the one that says what happened ("Connection refused").
        var innermost = messages.Count > 0 ? TypeName().Split(messages[^1])[^1].Trim() : "";
        return innermost.Length > 0 ? innermost : e is RpcException status ? status.StatusCode.ToString() : "unknown error";
    }

    static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? at = e; at is not null; at = at.InnerException) yield return at;
    }

    [GeneratedRegex(@"\b\w+Exception(?: \(\d+\))?: ")]
    private static partial Regex TypeName();
}
