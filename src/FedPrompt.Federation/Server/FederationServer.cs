using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Wire;
using Microsoft.Extensions.Logging;

namespace FedPrompt.Federation.Server;

/// <summary>A request the protocol does not allow (wrong version, unknown session); the site knows what to do about it.</summary>
public sealed class ProtocolException(string message, bool sayHelloAgain) : Exception(message)
{
    public bool SayHelloAgain { get; } = sayHelloAgain;
}

/// <summary>
/// The server: sites and their sessions, the job queue (one job runs at a time, in submission order),
/// and the running job's workflow. Transport-agnostic — the gRPC services and the simulator's
/// in-process client both call these methods. Jobs left running by a previous server process
/// resume at their next round.
/// </summary>
public sealed class FederationServer : IAsyncDisposable
{
    readonly ServerOptions _options;
    readonly ILoggerFactory _logs;
    readonly ILogger _log;
    readonly TimeProvider _clock;
    readonly Lock _gate = new();
    readonly Queue<string> _queue = new();
    readonly Dictionary<string, JobState> _jobs = new(StringComparer.Ordinal);
    readonly Dictionary<string, TaskCompletionSource<JobState>> _endings = new(StringComparer.Ordinal);
    readonly CancellationTokenSource _stop = new();
    readonly HashSet<string> _alive = new(StringComparer.Ordinal);
    readonly WorkspaceLock _workspaceLock;
    JobWorkflow? _running;
    Task? _scheduler;

    public FederationServer(ServerOptions options, ILoggerFactory logs, TimeProvider? clock = null)
    {
        _options = options;
        _logs = logs;
        _log = logs.CreateLogger("server");
        _clock = clock ?? TimeProvider.System;
        _workspaceLock = WorkspaceLock.Acquire(options.Workspace, _clock);
        Sites = new SiteRegistry(options.HeartbeatTimeout, _clock);
        Transfers = new TransferLimits(options);
        Directory.CreateDirectory(JobsFolder);
        Audit = new AuditLog(Path.Combine(options.Workspace, AuditLog.FileName), _clock);
    }

    public SiteRegistry Sites { get; }

    public AuditLog Audit { get; }

    /// <summary>Taken around every payload transfer on the network.</summary>
    public TransferLimits Transfers { get; }

    /// <summary>Raised (on the job's thread) after every round is committed, and when a job ends.</summary>
    public event Action<JobState>? RoundClosed;
    public ServerOptions Options => _options;
    string JobsFolder => Path.Combine(_options.Workspace, "jobs");

    /// <summary>Loads the jobs in the workspace (resuming the unfinished ones first) and starts scheduling.</summary>
    /// <param name="listening">Where the server is reached ("port 8443"), for the audit log and for a
    /// second server refused this workspace; called once the port is bound, so a server that could
    /// not bind never records that it started.</param>
    public void Start(string? listening = null)
    {
        _workspaceLock.Describe(listening);
        Audit.Record("server", "started", detail: $"workspace {_options.Workspace}{(listening is null ? "" : $", {listening}")}");
        var unfinished = new List<JobState>();
        foreach (var folder in Directory.GetDirectories(JobsFolder).Where(JobStore.Exists))
        {
            var state = new JobStore(folder).LoadState();
            lock (_gate)
            {
                if (!_jobs.TryAdd(state.JobId, state)) continue;
            }
            if (!JobStatuses.IsOver(state.Status)) unfinished.Add(state);
        }
        foreach (var state in unfinished.OrderBy(s => s.Status == JobStatuses.Running ? 0 : 1).ThenBy(s => s.Submitted))
            lock (_gate) _queue.Enqueue(state.JobId);
        _scheduler = Task.Run(() => ScheduleAsync(_stop.Token));
    }

    async Task ScheduleAsync(CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            SweepSites();
            JobWorkflow? next = null;
            lock (_gate)
            {
                if (_running is null && _queue.TryDequeue(out var jobId)) next = _running = Open(jobId);
            }
            if (next is not null)
            {
                var run = Task.Run(() => next.RunAsync(cancel), cancel);
                while (!run.IsCompleted)
                {
                    SweepSites();
                    await Task.WhenAny(run, Task.Delay(TimeSpan.FromMilliseconds(250), cancel)).ConfigureAwait(false);
                    if (cancel.IsCancellationRequested) return;
                }
                var final = next.State;
                if (run.Exception is { } fault)
                {
                    // The workflow could not even end the job (its state would not save): the job
                    // is failed in this process, and resumes from its last saved state in the next.
                    _log.LogError(fault, "job {Job}: the workflow failed", final.JobId);
                    final = final with { Status = JobStatuses.Failed, Message = $"the server's workflow failed: {fault.InnerException?.Message ?? fault.Message}" };
                }
                lock (_gate)
                {
                    _jobs[final.JobId] = final;
                    _running = null;
                }
                if (JobStatuses.IsOver(final.Status)) Ending(final.JobId).TrySetResult(final);
                continue;
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    JobWorkflow Open(string jobId)
    {
        var store = Store(jobId);
        var state = store.LoadState();
        var job = JobDefinition.Load(store.JobFolder);
        return new JobWorkflow(state, job, store, _options, Sites, JobStrategy.For(job, store), _logs.CreateLogger("job"), _clock, Audit,
            s =>
            {
                lock (_gate) _jobs[s.JobId] = s;
                AnnounceRoundClosed(s);
            });
    }

    /// <summary>A listener that throws is a bug of its own: logged, and the job goes on.</summary>
    void AnnounceRoundClosed(JobState state)
    {
        foreach (var listener in RoundClosed?.GetInvocationList().Cast<Action<JobState>>() ?? [])
        {
            try
            {
                listener(state);
            }
            catch (Exception e)
            {
                _log.LogError(e, "job {Job}: a RoundClosed listener failed", state.JobId);
            }
        }
    }

    /// <summary>Sites silent past the heartbeat timeout are declared gone and lose their task.</summary>
    void SweepSites()
    {
        foreach (var site in Sites.Snapshot())
        {
            bool wasAlive;
            lock (_gate)
            {
                wasAlive = _alive.Contains(site.Name);
                if (site.Alive) _alive.Add(site.Name);
                else _alive.Remove(site.Name);
            }
            if (wasAlive && !site.Alive)
            {
                _log.LogWarning("site {Site} declared gone: no heartbeat for {Timeout} s", site.Name, _options.HeartbeatTimeout.TotalSeconds);
                Audit.Record(site.Name, "declared gone", Running?.JobId, detail: $"no heartbeat for {_options.HeartbeatTimeout.TotalSeconds} s");
                Running?.Forget(site.Name);
            }
        }
    }

    JobWorkflow? Running
    {
        get { lock (_gate) return _running; }
    }

    public SiteWelcome Hello(string site, SiteHello request)
    {
        if (request.ProtocolVersion != Payloads.ProtocolVersion)
        {
            Audit.Record(site, "refused", detail: $"protocol version {request.ProtocolVersion}");
            throw new ProtocolException($"protocol version {request.ProtocolVersion} is not supported; this server speaks version {Payloads.ProtocolVersion}", sayHelloAgain: false);
        }
        if (!Sites.TryHello(site, request.PreviousSession, out var session, out var lastSeen))
        {
            var since = (_clock.GetUtcNow() - lastSeen).TotalSeconds;
            _log.LogWarning("refused a second session for site {Site}: its session is alive (last heartbeat {Seconds:F1} s ago)", site, since);
            Audit.Record(site, "refused", detail: "a second session while its session is alive");
            throw new ProtocolException($"site {site} is already connected (its session's last heartbeat was {since:F1} s ago): is it running twice? " +
                $"If that process has stopped, its session expires after {_options.HeartbeatTimeout.TotalSeconds:0} s without heartbeats; start this one then", sayHelloAgain: false);
        }
        Audit.Record(site, "connected", detail: $"software {request.SoftwareVersion}");
        lock (_gate) _alive.Add(site);
        _log.LogInformation("site {Site} connected (software {Version})", site, request.SoftwareVersion);
        return new SiteWelcome(Payloads.ProtocolVersion, session, _options.HeartbeatInterval, _options.ChunkBytes);
    }

    public HeartbeatAnswer Heartbeat(string site, SiteHeartbeat request)
    {
        bool known = Sites.Touch(site, request.Session, request.TaskId);
        bool abandon = known && request.TaskId.Length > 0 && Running?.Wants(site, request.TaskId) != true;
        return new HeartbeatAnswer(known, abandon);
    }

    public TaskAssignment NextTask(string site, string session)
    {
        RequireSession(site, session);
        return Running?.NextTask(site, session)
            ?? new TaskAssignment(new SiteTask { Kind = SiteTaskKind.Wait, RetryAfter = _options.RetryAfter }, null);
    }

    void RequireSession(string site, string session)
    {
        if (!Sites.Touch(site, session))
            throw new ProtocolException($"unknown session for {site}; say Hello again", sayHelloAgain: true);
    }

    /// <summary>Starts receiving a result; its payload chunks go to a spool file until it is complete.</summary>
    public ResultUpload BeginResult(string site, SiteResult header)
    {
        RequireSession(site, header.Session);
        if (header.Payload is not { } info) return new ResultUpload(this, site, header, null, null);
        try
        {
            return new ResultUpload(this, site, header, PayloadReceiver.Spooled(info, _options.MaxPayloadBytes, Path.Combine(_options.Workspace, "spool")), null);
        }
        catch (PayloadException e)
        {
            return new ResultUpload(this, site, header, null, e.Message);
        }
    }

    /// <summary>A result whose payload arrived whole: for the running job to check and take in.</summary>
    internal ResultVerdict AcceptResult(string site, SiteResult header, Stream? payload)
    {
        var running = Running;
        if (running is null || running.JobId != header.JobId)
        {
            var reason = $"the result is for job {header.JobId}, which is not running";
            _log.LogWarning("rejected a result from {Site}: {Reason}", site, reason);
            return ResultVerdict.No(reason);
        }
        return running.Accept(site, header, payload);
    }

    internal ResultVerdict RejectUpload(string site, SiteResult header, string reason) =>
        Running is { } running && running.JobId == header.JobId
            ? running.Accept(site, header, null, uploadProblem: reason)
            : AcceptResult(site, header, null);

    /// <summary>Unpacks and checks a submitted job folder (zip) and queues it.</summary>
    public JobAnswer Submit(string submittedBy, string name, byte[] zip)
    {
        var jobId = $"{SafeName(name)}-{_clock.GetUtcNow():yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var store = Store(jobId);
        JobAnswer Refuse(string reason)
        {
            Directory.Delete(store.Folder, recursive: true);
            _log.LogWarning("refused a job from {Admin}: {Reason}", submittedBy, reason);
            Audit.Record(submittedBy, "job refused", detail: reason);
            return new JobAnswer(false, "", reason);
        }
        JobDefinition job;
        try
        {
            job = JobDefinition.Unzip(zip, store.JobFolder);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FileNotFoundException or DirectoryNotFoundException)
        {
            return Refuse(e.Message.Replace(store.JobFolder + Path.DirectorySeparatorChar, ""));
        }
        if (_options.ProvisionedSites is { } provisioned && job.Meta.Sites.Where(s => !provisioned.Contains(s)).ToList() is { Count: > 0 } strangers)
            return Refuse($"the job names {string.Join(", ", strangers)}, which this project never provisioned (its sites: {string.Join(", ", provisioned)})");
        var state = new JobState { JobId = jobId, Name = job.Meta.Name, SubmittedBy = submittedBy, Submitted = _clock.GetUtcNow(), NumRounds = job.Server.NumRounds };
        store.SaveState(state);
        lock (_gate)
        {
            _jobs[jobId] = state;
            _queue.Enqueue(jobId);
        }
        _log.LogInformation("job {Job} submitted by {Admin}", jobId, submittedBy);
        Audit.Record(submittedBy, "job submitted", jobId, detail: job.Meta.Name);
        return new JobAnswer(true, jobId, $"job {jobId} queued");
    }

    static string SafeName(string name)
    {
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray());
        return safe.Length == 0 ? "job" : safe;
    }

    public IReadOnlyList<JobState> Jobs()
    {
        JobWorkflow? running;
        List<JobState> jobs;
        lock (_gate)
        {
            running = _running;
            jobs = _jobs.Values.ToList();
        }
        // The running job's live state, read without holding the server's lock (the job's own lock
        // is taken inside, and the job publishes to the server under the server's lock).
        if (running is not null)
        {
            var live = running.State;
            jobs = jobs.Select(j => j.JobId == live.JobId ? live : j).ToList();
        }
        return jobs.OrderBy(j => j.Submitted).ToList();
    }

    public JobState? Job(string jobId) => Jobs().FirstOrDefault(j => j.JobId == jobId);

    /// <summary>The job's sites now; what each is doing only while the job runs.</summary>
    public IReadOnlyList<JobSiteState> JobSites(string jobId)
    {
        if (Running is { } running && running.JobId == jobId) return running.Sites();
        return JobDefinition.Load(Store(jobId).JobFolder).Meta.Sites.Select(s => new JobSiteState(s, Sites.Connection(s), "")).ToList();
    }

    public JobStore Store(string jobId) => new(Path.Combine(JobsFolder, jobId));

    public JobAnswer Abort(string jobId, string by)
    {
        Audit.Record(by, "abort requested", jobId);
        lock (_gate)
        {
            if (!_jobs.TryGetValue(jobId, out var state)) return new JobAnswer(false, jobId, $"no job {jobId}");
            if (JobStatuses.IsOver(state.Status)) return new JobAnswer(false, jobId, $"job {jobId} is already {state.Status}");
            if (_running?.JobId == jobId) _running.Abort($"aborted by {by}");
            else
            {
                var aborted = state with { Status = JobStatuses.Aborted, Message = $"aborted by {by} before it started" };
                Store(jobId).SaveState(aborted);
                _jobs[jobId] = aborted;
                var rest = _queue.Where(j => j != jobId).ToList();
                _queue.Clear();
                foreach (var j in rest) _queue.Enqueue(j);
                Ending(jobId).TrySetResult(aborted);
            }
        }
        _log.LogWarning("job {Job} aborted by {Admin}", jobId, by);
        Audit.Record(by, "job aborted", jobId);
        return new JobAnswer(true, jobId, $"job {jobId} aborted");
    }

    TaskCompletionSource<JobState> Ending(string jobId)
    {
        lock (_gate)
        {
            if (!_endings.TryGetValue(jobId, out var ending))
                _endings[jobId] = ending = new TaskCompletionSource<JobState>(TaskCreationOptions.RunContinuationsAsynchronously);
            return ending;
        }
    }

    /// <summary>Completes when the job is finished, failed or aborted.</summary>
    public Task<JobState> WhenOver(string jobId)
    {
        var state = Job(jobId);
        if (state is not null && JobStatuses.IsOver(state.Status) && Running?.JobId != jobId) return Task.FromResult(state);
        return Ending(jobId).Task;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_scheduler is not null)
        {
            try
            {
                await _scheduler.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
        Audit.Flush();
        if (_scheduler is not null) Audit.Record("server", "stopped");
        _workspaceLock.Dispose();
    }
}
