using System.Text.RegularExpressions;

namespace FedPrompt.Federation.Provisioning;

/// <summary>
/// Participant and project names become folder names, certificate common names and words in shell
/// scripts, so they are restricted to characters that are harmless in all three.
/// </summary>
static partial class ParticipantNames
{
    // At most 64: the longest common name X.509 allows.
    public const string Rule =
        "1 to 64 letters, digits, '.', '_', '-' or '@', starting and ending with a letter or digit";

    public static bool IsValid(string name) => SafeName().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9._@-]{0,62}[A-Za-z0-9])?$")]
    private static partial Regex SafeName();
}
