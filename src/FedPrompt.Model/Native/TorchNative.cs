using System.Runtime.InteropServices;
using System.Security.Cryptography;
using FedPrompt.Formats;
using TorchSharp;

namespace FedPrompt.Model.Native;

/// <summary>
/// Loads TorchSharp's native backend. TorchSharp-cpu 0.107's shim libLibTorchSharp.so asks libstdc++
/// for GLIBCXX_3.4.32 on behalf of one symbol (std::ios_base_library_init) that it references but never
/// calls; Debian 12's libstdc++ stops at 3.4.30, so the shim does not load there. Where — and only where —
/// the system's libstdc++ lacks that version, a copy of the shim with that one need marked weak is
/// written to a cache folder and handed to TorchSharp. Newer systems load the package's file unchanged.
/// </summary>
public static class TorchNative
{
    const string ShimFile = "libLibTorchSharp.so";
    const string ShimName = "LibTorchSharp";
    /// <summary>The only version need known to be safe to weaken: its single symbol is never called.</summary>
    public const string WeakenableVersion = "GLIBCXX_3.4.32";

    static readonly Lock Gate = new();
    static bool _loaded;

    /// <summary>How the backend was loaded, for `fedprompt model info` and bug reports.</summary>
    public static string Status { get; private set; } = "not loaded";

    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded) return;
            if (OperatingSystem.IsLinux()) PrepareShimForThisSystem();
            else Status = "package shim";
            // Loading now, not at the first tensor, surfaces a load failure with the trace above it.
            torch.InitializeDeviceType(DeviceType.CPU);
            _loaded = true;
        }
    }

    static void PrepareShimForThisSystem()
    {
        var searchDirs = NativeSearchDirectories();
        var shim = FindIn(searchDirs, ShimFile)
            ?? throw new DllNotFoundException($"{ShimFile} not found in: {string.Join(", ", searchDirs)}");
        var systemLibstdcxx = LoadedLibraryPath("libstdc++.so.6");
        var defined = ElfImage.Read(systemLibstdcxx).DefinedVersions().ToHashSet();
        var missing = MissingLibstdcxxVersions(ElfImage.Read(shim), defined);
        if (missing.Count == 0)
        {
            Status = $"package shim {shim} (system libstdc++ {systemLibstdcxx} has every version it needs)";
            return;
        }
        var unsafeMissing = missing.Where(n => n.Version != WeakenableVersion).Select(n => n.Version).ToList();
        if (unsafeMissing.Count > 0)
            throw new PlatformNotSupportedException(
                $"The system libstdc++ ({systemLibstdcxx}) lacks {string.Join(", ", unsafeMissing)}, needed by {shim}. " +
                "Install a newer libstdc++ (GCC 13 or later).");

        var patched = PatchedCopy(shim);
        // The copy lives outside the package folder, so its $ORIGIN runpath cannot find libtorch; load
        // libtorch from the package first so the copy's DT_NEEDED entries match already-loaded sonames.
        foreach (var dependency in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            var path = FindIn(searchDirs, dependency)
                ?? throw new DllNotFoundException($"{dependency} not found in: {string.Join(", ", searchDirs)}");
            NativeLibrary.Load(path);
        }
        var handle = NativeLibrary.Load(patched);
        NativeLibrary.SetDllImportResolver(typeof(torch).Assembly,
            (name, _, _) => name == ShimName ? handle : IntPtr.Zero);
        Status = $"patched shim {patched} ({WeakenableVersion} need marked weak; system libstdc++ {systemLibstdcxx} lacks it)";
    }

    public static List<ElfImage.VersionNeed> MissingLibstdcxxVersions(ElfImage shim, IReadOnlySet<string> defined) =>
        shim.VersionNeeds()
            .Where(n => n.File == "libstdc++.so.6" && !n.IsWeak && !defined.Contains(n.Version))
            .ToList();

    /// <summary>Writes (once per distinct shim, atomically, so concurrent processes agree) the weakened copy.</summary>
    public static string PatchedCopy(string shim, string? cacheRoot = null)
    {
        var image = ElfImage.Read(shim);
        var hash = Convert.ToHexString(SHA256.HashData(image.Bytes))[..16].ToLowerInvariant();
        var dir = Path.Combine(cacheRoot ?? CacheRoot(), hash);
        var target = Path.Combine(dir, ShimFile);
        if (File.Exists(target)) return target;

        var need = image.VersionNeeds().SingleOrDefault(n => n.File == "libstdc++.so.6" && n.Version == WeakenableVersion)
            ?? throw new InvalidDataException($"{shim}: has no {WeakenableVersion} need to weaken");
        image.MarkWeak(need);
        AtomicFile.WriteAllBytes(target, image.Bytes);
        return target;
    }

    static string CacheRoot()
    {
        var root = Environment.GetEnvironmentVariable("FEDPROMPT_NATIVE_CACHE");
        if (!string.IsNullOrEmpty(root)) return root;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var baseDir = !string.IsNullOrEmpty(xdg) ? xdg
            : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache")
            : Path.GetTempPath();
        return Path.Combine(baseDir, "fedprompt", "native");
    }

    /// <summary>Where the host looks for native assets: the app's deps.json folders, then the app and TorchSharp folders.</summary>
    static List<string> NativeSearchDirectories()
    {
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string list)
            dirs.AddRange(list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        dirs.Add(AppContext.BaseDirectory);
        dirs.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"));
        var torchSharpDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(torchSharpDir)) dirs.Add(torchSharpDir);
        return dirs.Distinct().ToList();
    }

    static string? FindIn(IEnumerable<string> dirs, string file) =>
        dirs.Select(d => Path.Combine(d, file)).FirstOrDefault(File.Exists);

    /// <summary>The file the dynamic loader picks for a soname, read back from the process's own mappings.</summary>
    static string LoadedLibraryPath(string soname)
    {
        NativeLibrary.Load(soname);
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var path = line[slash..];
            if (Path.GetFileName(path).StartsWith(soname, StringComparison.Ordinal)) return path;
        }
        throw new DllNotFoundException($"{soname} is loaded but not found in /proc/self/maps");
    }
}
