using System.Text.Json;
using FedPrompt.Testing;

namespace FedPrompt.Federation.Tests.Privacy;

/// <summary>tests/fixtures/privacy/rdp_reference.json, written by tools/rdp_reference.py (mpmath,
/// 40 digits, sharing no code with the C# accountant).</summary>
static class RdpReference
{
    static readonly Lazy<JsonElement> Root = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(RepositoryFiles.Fixtures("privacy", "rdp_reference.json"))).RootElement);

    public static JsonElement Case(string name) =>
        Root.Value.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    public static IEnumerable<string> CaseNames =>
        Root.Value.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    public static IEnumerable<JsonElement> LogA => Root.Value.GetProperty("log_a").EnumerateArray();

    public static IEnumerable<JsonElement> LogErfc => Root.Value.GetProperty("log_erfc").EnumerateArray();

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
