using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>The fedprompt program, built beside these tests (same configuration), run as a real process.</summary>
public sealed class FedPromptProcess : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();
    readonly StringBuilder _error = new();

    FedPromptProcess(string[] args, IReadOnlyDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Program);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        // Spectre.Console wraps at the terminal width; a wide one keeps long lines whole for the assertions.
        info.Environment["COLUMNS"] = "400";
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => Append(_output, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_error, e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    static void Append(StringBuilder buffer, string? line)
    {
        if (line is null) return;
        lock (buffer) buffer.AppendLine(line);
    }

    /// <summary>bin/&lt;Configuration&gt;/net10.0/fedprompt.dll of the CLI project, matching this test assembly's configuration.</summary>
    public static string Program
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            var path = Path.Combine(RepositoryFiles.Root, "src", "FedPrompt.Cli", "bin", configuration, "net10.0", "fedprompt.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"{path}: build the CLI first", path);
        }
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public string Error
    {
        get { lock (_error) return _error.ToString(); }
    }

    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public int Id => _process.Id;

    public static FedPromptProcess Start(params string[] args) => new(args, null);

    public static FedPromptProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) => new(args, environment);

    /// <summary>Runs to completion (or fails the test after <paramref name="timeout"/>).</summary>
    /// <summary>A run's stdout, after asserting it succeeded (its stderr and stdout are the failure message).</summary>
    public static string Ok((int ExitCode, string Output, string Error) run)
    {
        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        return run.Output;
    }

    public static (int ExitCode, string Output, string Error) Run(TimeSpan timeout, params string[] args)
    {
        using var process = Start(args);
        if (!process._process.WaitForExit(timeout))
        {
            process.Kill();
            throw new TimeoutException($"fedprompt {string.Join(" ", args)} did not finish within {timeout}: {process.Output}{process.Error}");
        }
        process._process.WaitForExit();
        return (process.ExitCode, process.Output, process.Error);
    }

    /// <summary>Waits until the output (stdout or stderr) contains <paramref name="text"/>.</summary>
    public async Task WaitFor(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!(Output + Error).Contains(text, StringComparison.Ordinal))
        {
            if (HasExited) throw new InvalidOperationException($"fedprompt exited ({ExitCode}) before printing \"{text}\": {Output}{Error}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no \"{text}\" within {timeout}: {Output}{Error}");
            await Task.Delay(100);
        }
    }

    /// <summary>The exit code, once the process has ended (or fails the test after <paramref name="timeout"/>).</summary>
    public async Task<int> Exited(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"fedprompt did not exit within {timeout}: {Output}{Error}");
        }
        return _process.ExitCode;
    }

    /// <summary>Like kill -TERM (what a service manager sends): a request to stop.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, 15) != 0) throw new InvalidOperationException($"kill -TERM {_process.Id} failed ({Marshal.GetLastPInvokeError()})");
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    /// <summary>Like kill -9: no chance to clean up.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
