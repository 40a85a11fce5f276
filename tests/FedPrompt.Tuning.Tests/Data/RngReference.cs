using FedPrompt.Testing;
using System.Text.Json;

namespace FedPrompt.Tuning.Tests.Data;

/// <summary>tests/fixtures/data/rng_reference.json: outputs of CPython's random and NumPy's RandomState.</summary>
internal static class RngReference
{
    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(File.ReadAllBytes(RepositoryFiles.Fixture("rng_reference.json"))));

    public static IEnumerable<JsonElement> Cases(string generator) => Document.Value.RootElement.GetProperty(generator).EnumerateArray();

    public static T[] Array<T>(JsonElement element, string name) => element.GetProperty(name).Deserialize<T[]>()!;
}
