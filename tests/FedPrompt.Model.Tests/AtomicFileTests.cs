using FedPrompt.Formats;
using FedPrompt.Testing;

namespace FedPrompt.Model.Tests;

public sealed class AtomicFileTests
{
    [Fact]
    public void ReplacesTheFileAndLeavesNoTemporaryFile()
    {
        using var folder = new TemporaryDirectory();
        string path = folder.Write("out.jsonl", "old content that is longer\n");

        AtomicFile.WriteAllText(path, "new \u00e9\n");

        Assert.Equal("new \u00e9\n"u8.ToArray(), File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void FailureLeavesNoTemporaryFile()
    {
        using var folder = new TemporaryDirectory();
        // A folder where the file should go makes the final rename fail after the content was written.
        string path = folder.File("taken");
        Directory.CreateDirectory(path);

        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllText(path, "content"));

        Assert.Empty(Directory.GetFiles(folder.Path));
    }
}
