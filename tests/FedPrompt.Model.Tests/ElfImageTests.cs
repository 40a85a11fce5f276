using FedPrompt.Model.Native;

namespace FedPrompt.Model.Tests;

public class ElfImageTests
{
    static string Shim() =>
        new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native") }
            .Select(d => Path.Combine(d, "libLibTorchSharp.so")).First(File.Exists);

    [Fact]
    public void TheShimNeedsTheVersionThatIsWeakenedAndThePatchedCopyHasItWeak()
    {
        if (!OperatingSystem.IsLinux()) return;
        var needs = ElfImage.Read(Shim()).VersionNeeds();
        var need = Assert.Single(needs, n => n.File == "libstdc++.so.6" && n.Version == TorchNative.WeakenableVersion);
        Assert.False(need.IsWeak);

        var cache = Path.Combine(Path.GetTempPath(), $"fedprompt-native-{Guid.NewGuid():N}");
        try
        {
            var patched = TorchNative.PatchedCopy(Shim(), cache);
            var patchedNeeds = ElfImage.Read(patched).VersionNeeds();
            Assert.True(Assert.Single(patchedNeeds, n => n.Version == TorchNative.WeakenableVersion).IsWeak);
            // Nothing else changed: the same needs, and the bytes differ only in that one flag.
            Assert.Equal(needs.Select(n => (n.File, n.Version)), patchedNeeds.Select(n => (n.File, n.Version)));
            var before = File.ReadAllBytes(Shim());
            var after = File.ReadAllBytes(patched);
            Assert.Equal(before.Length, after.Length);
            Assert.Single(Enumerable.Range(0, before.Length), i => before[i] != after[i]);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public void MissingVersionsAreThoseTheSystemDoesNotDefine()
    {
        if (!OperatingSystem.IsLinux()) return;
        var shim = ElfImage.Read(Shim());
        var allButOne = shim.VersionNeeds().Select(n => n.Version).Where(v => v != TorchNative.WeakenableVersion).ToHashSet();
        var missing = TorchNative.MissingLibstdcxxVersions(shim, allButOne);
        Assert.Equal(TorchNative.WeakenableVersion, Assert.Single(missing).Version);
        Assert.Empty(TorchNative.MissingLibstdcxxVersions(shim, shim.VersionNeeds().Select(n => n.Version).ToHashSet()));
    }

    [Fact]
    public void ANonElfFileIsRefusedByName()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not an elf");
            var error = Assert.Throws<InvalidDataException>(() => ElfImage.Read(path));
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
