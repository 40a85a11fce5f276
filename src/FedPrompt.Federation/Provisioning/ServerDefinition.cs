namespace FedPrompt.Federation.Provisioning;

/// <summary>The server's participant name and the address sites and admins connect to.</summary>
public sealed record ServerDefinition(string Name, string Host, int Port)
{
    internal const string PortRule = "from 1 to 65535";

    internal static bool IsValidPort(int port) => port is >= 1 and <= 65535;
}
