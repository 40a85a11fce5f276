using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.RegularExpressions;

namespace FedPrompt.Federation.Provisioning;

/// <summary>
/// What may be the server's host: it goes into the server certificate's alternative names, where the
/// host name clients check must appear exactly as they write it, so lenient spellings the IP parser
/// accepts ("1" for 0.0.0.1, "[::1]") are refused rather than silently certified under another form.
/// </summary>
static partial class HostNames
{
    public const string Rule = "a DNS name (letters, digits, '-' and '.') or an IP address written canonically, like 10.0.0.5 or ::1";

    public static bool IsValid(string host) => IsDnsName(host) || IsIpAddress(host, out _);

    static bool IsDnsName(string host) => DnsName().IsMatch(host) && !IPAddress.TryParse(host, out _);

    public static bool IsIpAddress(string host, [NotNullWhen(true)] out IPAddress? address) =>
        IPAddress.TryParse(host, out address) && address.ToString() == host;

    [GeneratedRegex(@"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex DnsName();
}
