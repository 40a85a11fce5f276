using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Wire;
using Microsoft.Extensions.Logging;

namespace FedPrompt.Federation.Site;

/// <summary>
/// A site's loop (NVFlare's executor): say Hello, ask for tasks, hand each to its handler
/// (<see cref="LearnerTasks"/>, <see cref="SecureAggregationTasks"/>), send the results; heartbeats
/// go out on their own timer the whole time, also while a task runs for hours.
/// A lost connection is retried with exponential backoff; a lost session (the server restarted or
/// declared the site gone) means Hello again. A task the server no longer wants is abandoned. A
/// refusal (another process runs as this site, an unsupported protocol) ends the loop with
/// <see cref="FederationRefusedException"/>.
/// </summary>
public sealed class SiteExecutor(ISiteLearner learner, IFederationClient client, ILogger log, SiteExecutorOptions? options = null)
{
    readonly SiteExecutorOptions _options = options ?? new SiteExecutorOptions();
    string? _session;
    // Presented at the next Hello: after a lost connection the server lets this process, and only
    // this one, take its own still-live session back.
    string _previousSession = "";
    string _currentTask = "";
    CancellationTokenSource? _taskCancel;
    readonly IReadOnlyDictionary<SiteTaskKind, SiteTaskHandler> _handlers = Handlers(learner);

    static Dictionary<SiteTaskKind, SiteTaskHandler> Handlers(ISiteLearner learner)
    {
        var secure = new SecureAggregationTasks(learner.Site);
        var tasks = new LearnerTasks(learner, secure);
        return new()
        {
            [SiteTaskKind.Configure] = tasks.Configure,
            [SiteTaskKind.Train] = tasks.Train,
            [SiteTaskKind.Validate] = tasks.Validate,
            [SiteTaskKind.SecureKey] = secure.Key,
            [SiteTaskKind.SecureMask] = secure.Mask,
        };
    }

    public async Task RunAsync(CancellationToken cancel)
    {
        var backoff = _options.InitialBackoff;
        using var heartbeats = new CancellationTokenSource();
        Task? heartbeatLoop = null;
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                try
                {
                    if (_session is null)
                    {
                        var hello = await client.HelloAsync(new SiteHello(Payloads.ProtocolVersion, SoftwareVersion, _previousSession), cancel);
                        _session = _previousSession = hello.Session;
                        log.LogInformation("{Site}: connected", learner.Site);
                        heartbeatLoop ??= HeartbeatAsync(TimeSpan.FromMilliseconds(Math.Max(100, hello.HeartbeatInterval.TotalMilliseconds)), heartbeats.Token);
                    }
                    var (task, payload) = await client.NextTaskAsync(_session, cancel);
                    backoff = _options.InitialBackoff;
                    if (task.Kind == SiteTaskKind.Wait)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(50, task.RetryAfter.TotalMilliseconds)), cancel);
                        continue;
                    }
                    var (result, resultPayload) = await RunTaskAsync(task, payload, cancel);
                    if (result is null) continue;
                    var reply = await client.SubmitResultAsync(result, resultPayload, cancel);
                    if (!reply.Accepted) log.LogWarning("{Site}: the server turned away the result of {Task}: {Reason}", learner.Site, task.TaskId, reply.Reason);
                }
                catch (SessionLostException)
                {
                    log.LogInformation("{Site}: the server lost this session; saying Hello again", learner.Site);
                    _session = null;
                }
                catch (Exception e) when (!cancel.IsCancellationRequested && IsWorthRetrying(e))
                {
                    log.LogWarning("{Site}: cannot reach the server ({Problem}); retrying in {Delay} s", learner.Site, ConnectionProblem.Describe(e), backoff.TotalSeconds);
                    log.LogDebug(e, "{Site}: the connection failure in full", learner.Site);
                    _session = null;
                    await Task.Delay(backoff, cancel);
                    backoff = TimeSpan.FromTicks(Math.Min(_options.MaxBackoff.Ticks, backoff.Ticks * 2));
                }
            }
        }
        catch (Exception) when (cancel.IsCancellationRequested)
        {
            // Stopping: whatever the cancelled call threw (gRPC reports it as its own status) ends the loop.
        }
        finally
        {
            heartbeats.Cancel();
            if (heartbeatLoop is not null) await heartbeatLoop.ConfigureAwait(false);
        }
    }

    public static string SoftwareVersion => typeof(SiteExecutor).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Anything but a refusal or a broken runtime may be the network or a restarting server: try again after the backoff.</summary>
    static bool IsWorthRetrying(Exception e) => e is not (OutOfMemoryException or InvalidProgramException or FederationRefusedException);

    /// <summary>Runs one task; a failure becomes a failed result (it costs this site the round, not the job).</summary>
    async Task<(SiteResult? Result, byte[]? Payload)> RunTaskAsync(SiteTask task, byte[]? payload, CancellationToken cancel)
    {
        var result = SiteResult.For(task, _session!);
        using var taskCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _taskCancel = taskCancel;
        _currentTask = task.TaskId;
        try
        {
            log.LogInformation("{Site}: {Kind} task for job {Job}, round {Round}", learner.Site, task.Kind, task.JobId, task.Round);
            byte[]? resultPayload;
            await _options.TrainingGate.WaitAsync(taskCancel.Token);
            try
            {
                // Training is CPU-bound and synchronous: keep it off the loop so heartbeats keep going.
                var handler = _handlers.GetValueOrDefault(task.Kind) ?? throw new InvalidDataException($"unknown task kind {task.Kind}");
                (result, resultPayload) = await Task.Run(() => handler(task, payload, result, taskCancel.Token), taskCancel.Token);
            }
            finally
            {
                _options.TrainingGate.Release();
            }
            if (resultPayload is not null) result = result with { Payload = Payloads.Describe(resultPayload) };
            return (result, resultPayload);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            log.LogWarning("{Site}: abandoned task {Task}: the server no longer wants it", learner.Site, task.TaskId);
            return (null, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError("{Site}: task {Task} failed: {Error}", learner.Site, task.TaskId, e.Message);
            return (result with { Failed = true, Error = e.Message }, null);
        }
        finally
        {
            _currentTask = "";
            _taskCancel = null;
        }
    }

    async Task HeartbeatAsync(TimeSpan interval, CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, cancel);
                if (_session is not { } session) continue;
                var reply = await client.HeartbeatAsync(new SiteHeartbeat(session, _currentTask), cancel);
                if (!reply.Known || reply.AbandonTask) _taskCancel?.Cancel();
                if (!reply.Known) _session = null;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The task loop reports connection problems; a missed heartbeat is retried next tick.
                log.LogDebug("{Site}: heartbeat failed: {Problem}", learner.Site, e.Message);
            }
        }
    }
}

public sealed record SiteExecutorOptions
{
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Sites sharing one process (the simulator) share one gate, so they train one at a time.</summary>
    public SemaphoreSlim TrainingGate { get; init; } = new(1);
}
