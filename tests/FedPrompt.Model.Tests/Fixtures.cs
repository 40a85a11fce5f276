using System.Text.Json;

namespace FedPrompt.Model.Tests;

/// <summary>The committed fixtures (tests/fixtures), copied beside the test assembly.</summary>
public static class Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static string Engine(string name) => Path.Combine(Root, "engine", name);

    public static JsonElement EngineExpected { get; } =
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Root, "engine", "expected.json"))).RootElement;

    /// <summary>A scratch folder deleted when disposed.</summary>
    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fedprompt-test-{Guid.NewGuid():N}");
        public TempFolder() => Directory.CreateDirectory(Path);
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
