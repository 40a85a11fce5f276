namespace FedPrompt.Federation.Provisioning;

/// <summary>Unix permissions for the folders and scripts provisioning writes (private keys are created
/// owner-only by <see cref="FedPrompt.Formats.AtomicFile"/>); Windows has no such modes, so there these do nothing
/// beyond creating folders.</summary>
static class FilePermissions
{
    const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, OwnerReadWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Mode 0755, for start scripts.</summary>
    public static void MakeExecutable(string file)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, OwnerReadWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }
}
