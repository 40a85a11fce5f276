namespace FedPrompt.Federation.Server;

/// <summary>Another server owns the workspace.</summary>
public sealed class WorkspaceInUseException(string message) : IOException(message);

/// <summary>
/// Makes one server the owner of a workspace: an exclusive OS lock on <c>server.lock</c>, held for
/// the server's lifetime. The OS drops the lock when the process ends, however it ends, so a crashed
/// server leaves no stale lock behind. A locked file cannot be read by others, so who holds it is
/// written beside it, in <c>server.lock.holder</c>, for the refusal to name.
/// </summary>
public sealed class WorkspaceLock : IDisposable
{
    public const string FileName = "server.lock";
    readonly FileStream _lock;
    readonly string _holderPath;
    readonly string _holder;

    WorkspaceLock(FileStream @lock, string holderPath, string holder)
    {
        _lock = @lock;
        _holderPath = holderPath;
        _holder = holder;
    }

    public static WorkspaceLock Acquire(string workspace, TimeProvider clock)
    {
        Directory.CreateDirectory(workspace);
        var path = Path.Combine(workspace, FileName);
        var holderPath = path + ".holder";
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var holder = File.Exists(holderPath) ? File.ReadAllText(holderPath).Trim() : "a server that has not said who it is yet";
            throw new WorkspaceInUseException($"workspace {Path.GetFullPath(workspace)} is in use by another server ({holder}); " +
                "stop that one first, or give this one another --workspace");
        }
        var description = $"process {Environment.ProcessId} on {Environment.MachineName}, since {clock.GetUtcNow():yyyy-MM-dd HH:mm:ss} UTC";
        var workspaceLock = new WorkspaceLock(file, holderPath, description);
        workspaceLock.Describe(null);
        return workspaceLock;
    }

    /// <summary>Adds where the holder listens (known only once its port is bound) to what a refusal says.</summary>
    public void Describe(string? listening) =>
        File.WriteAllText(_holderPath, listening is null ? _holder : $"{_holder}, {listening}");

    public void Dispose() => _lock.Dispose();
}
