using FedPrompt.Federation.Aggregation;
using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Models;
using FedPrompt.Federation.Messages;
using Microsoft.Extensions.Logging;

namespace FedPrompt.Federation.Server;

/// <summary>
/// One job on the server (NVFlare's scatter-and-gather controller), read top to bottom in
/// <see cref="RunAsync"/>: every site sets up (the initial encoder a quorum of them agrees on
/// becomes the round-0 global model); then each round broadcasts the global model, waits for the
/// sites' weight differences (folded into the strategy as they arrive), aggregates and commits;
/// after the last round the sites validate the final global model. Sites pull their tasks
/// (<see cref="NextTask"/>) and push results (<see cref="Accept"/>, in JobWorkflow.Results.cs) on
/// the transport's threads; the workflow sleeps until one of them, a site declared gone, an abort
/// or a deadline wakes it. Bad results cost their site the
/// round, and the job only when a round can no longer reach min_clients.
/// </summary>
public sealed partial class JobWorkflow
{
    readonly JobDefinition _job;
    readonly ServerOptions _options;
    readonly SiteRegistry _sites;
    readonly IAggregationStrategy _strategy;
    readonly ILogger _log;
    readonly TimeProvider _clock;
    readonly AuditLog _audit;
    readonly Action<JobState>? _committed;
    readonly string _siteTaskConfig;
    readonly TaskBoard _board;
    readonly SiteSetup _setup;
    readonly SiteAttendance _attendance;
    readonly RoundCommitter _committer;
    readonly ResultChecks _checks = new();
    readonly Lock _gate = new();
    readonly SemaphoreSlim _wake = new(0);

    // Guarded by _gate: the job's state and the round in progress.
    JobState _state;
    ModelState? _global;
    byte[]? _globalPayload;
    RoundInProgress? _round;
    SecureAggregationPhase? _secure;
    string? _abortReason;
    bool _over;

    public JobWorkflow(JobState state, JobDefinition job, JobStore store, ServerOptions options, SiteRegistry sites,
        IAggregationStrategy strategy, ILogger log, TimeProvider clock, AuditLog audit, Action<JobState>? committed = null)
    {
        (_state, _job, Store, _options, _sites, _strategy, _log, _clock, _audit, _committed) = (state, job, store, options, sites, strategy, log, clock, audit, committed);
        _siteTaskConfig = SiteTaskConfig.For(job).ToJson();
        _board = new TaskBoard(state.JobId);
        _setup = new SiteSetup(job.Meta.Sites, job.Server.MinClients, job.Server.MaxSiteExamples,
            state.BaseModelJson is { } baseModel && state.GlobalFile is not null ? new JobIdentity(baseModel, state.InitialEncoderSha256 ?? "", state.Answers) : null);
        _attendance = new SiteAttendance(state.JobId, job.Meta.Sites, job.Server.MinClients, options.SiteConnectTimeout, sites, clock, log);
        _committer = new RoundCommitter(job, store, audit, log, clock);
        if (state.GlobalFile is not null) SetGlobal(store.LoadModel(state.GlobalFile));
    }

    public string JobId => _state.JobId;
    public JobDefinition Job => _job;
    public JobStore Store { get; }

    public JobState State
    {
        get { lock (_gate) return _state; }
    }

    /// <summary>The workflow, until the job is finished, failed or aborted; a cancelled one (the
    /// server stopping) stays running in its state and resumes at its next round.</summary>
    public async Task RunAsync(CancellationToken cancel)
    {
        try
        {
            // Not published: the server's listeners hear of committed rounds and of the job's end.
            lock (_gate) _state = _committer.Started(_state);
            await SitesAgreeAsync(cancel);
            while (State.NextRound < _job.Server.NumRounds)
            {
                var round = Open(training: true);
                await UntilAsync(() => round.CanClose(_job.Server, _sites.IsAlive, _setup.LeftOut, _clock.GetUtcNow()), cancel);
                var next = _job.Server.SecureAggregation ? await SecureAggregateAsync(round, cancel) : round.Aggregation!.Finish();
                Close(round, Finite(round, next), round.Aggregation?.Metrics ?? new Dictionary<string, double>());
            }
            if (!State.FinalValidationDone)
            {
                var validation = Open(training: false);
                await UntilAsync(() => validation.CanClose(_job.Server, _sites.IsAlive, _setup.LeftOut, _clock.GetUtcNow()), cancel);
                Close(validation, null, new Dictionary<string, double>());
            }
            End(JobStatuses.Finished, null);
        }
        catch (JobStopping stop)
        {
            End(stop.Status, stop.Message);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A fault in the server itself: the job fails with it rather than sitting "running"
            // while its sites' results are turned away.
            _log.LogError(e, "job {Job}: the workflow failed", JobId);
            End(JobStatuses.Failed, $"the server's workflow failed: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>The sites set up; a quorum of them must agree on the job's identity (which makes the
    /// round-0 global model) within the connect timeout.</summary>
    Task SitesAgreeAsync(CancellationToken cancel)
    {
        var by = _clock.GetUtcNow() + _options.SiteConnectTimeout;
        return UntilAsync(() => _global is not null || (_clock.GetUtcNow() >= by
            ? throw new JobStopping(JobStatuses.Failed, $"no {_setup.Quorum} of the job's sites agreed on its base model, initial encoder and answers "
                + $"within {_options.SiteConnectTimeout.TotalSeconds:0} s: {_setup.Proposals()}")
            : false), cancel, by);
    }

    /// <summary>The sites have trained and hold their updates: they key, mask and send them, and the
    /// sum of the masked updates is the next global model (the global model stays if it fails).</summary>
    async Task<ModelState> SecureAggregateAsync(RoundInProgress round, CancellationToken cancel)
    {
        var secure = new SecureAggregationPhase(_global!, JobId, round.Number, _job.Server.MinClients, round.Accepted.ToDictionary(a => a.Key, a => a.Value.Steps));
        lock (_gate) _secure = secure;
        _log.LogInformation("job {Job}: round {Round}: secure aggregation of {Sites}", JobId, round.Number, string.Join(", ", round.Accepted.Keys.Order(StringComparer.Ordinal)));
        await UntilAsync(() =>
        {
            int attempt = secure.Attempt;
            secure.Advance(_sites.IsAlive);
            if (secure.Attempt != attempt)
                _log.LogWarning("job {Job}: round {Round}: secure aggregation restarts without the missing site ({Problem})", JobId, round.Number, secure.Problem);
            return secure.Current is SecureAggregationPhase.Stage.Complete or SecureAggregationPhase.Stage.Failed;
        }, cancel);
        if (secure.Current == SecureAggregationPhase.Stage.Complete) return secure.Finish();
        _log.LogWarning("job {Job}: round {Round}: secure aggregation failed ({Problem}); the global model stays as it was", JobId, round.Number, secure.Problem);
        lock (_gate) round.Note($"secure aggregation: {secure.Problem}");
        return _global!;
    }

    /// <summary>The next global model, or the current one when the aggregate would not be finite.</summary>
    ModelState Finite(RoundInProgress round, ModelState next)
    {
        if (ResultChecks.NonFinite(next) is not { } tensor) return next;
        _log.LogWarning("job {Job}: round {Round}: the aggregate holds NaN or infinite values ({Tensor}); the global model stays as it was", JobId, round.Number, tensor);
        lock (_gate) round.Note($"the aggregate held NaN or infinite values ({tensor}); the global model stayed as it was");
        return _global!;
    }

    RoundInProgress Open(bool training)
    {
        lock (_gate)
        {
            int number = _state.NextRound;
            var sites = training ? SiteSampling.Draw(_job.Server, _job.Meta.Sites.Where(s => _setup.LeftOut(s) is null).ToList(), number) : _job.Meta.Sites;
            _round = new RoundInProgress(number, training, sites,
                training && !_job.Server.SecureAggregation ? _strategy.BeginRound(_global!, JobId, number) : null, _clock.GetUtcNow());
            _secure = null;
            _board.NewRound();
            _log.LogInformation("job {Job}: round {Round} {What}{Drawn}", JobId, number, training ? $"of {_job.Server.NumRounds} started" : "(final validation) started",
                sites.Count < _job.Meta.Sites.Count ? $" with {string.Join(", ", sites)}" : "");
            return _round;
        }
    }

    void Close(RoundInProgress round, ModelState? next, IReadOnlyDictionary<string, double> aggregation) => Publish(() =>
    {
        var metrics = new Dictionary<string, double>(aggregation);
        if (_secure is not null) metrics["secure_aggregation_attempts"] = _secure.Attempt;
        // With secure aggregation only the sites whose masked updates made up the sum count.
        _state = _committer.CloseRound(_state, round, _global!, next, _secure?.Participants, metrics);
        if (next is not null) SetGlobal(next);
        (_round, _secure) = (null, null);
    });

    void End(string status, string? message) => Publish(() =>
    {
        _over = true;
        _state = _committer.Ended(_state, status, message);
    });

    /// <summary>Changes the state under the lock, then tells the listener outside it: whoever
    /// listens may take locks of their own (the server's job list).</summary>
    void Publish(Action change)
    {
        JobState state;
        lock (_gate)
        {
            change();
            state = _state;
        }
        _committed?.Invoke(state);
    }

    /// <summary>Sleeps until <paramref name="done"/> holds (checked under the lock), waking on every
    /// signal and at the next deadline; stops the job on an abort, when too few sites are connected
    /// or too few could set up.</summary>
    async Task UntilAsync(Func<bool> done, CancellationToken cancel, DateTimeOffset? until = null)
    {
        while (true)
        {
            DateTimeOffset? deadline;
            lock (_gate)
            {
                if (_abortReason is not null) throw new JobStopping(JobStatuses.Aborted, _abortReason);
                if ((_attendance.GiveUpReason() ?? _setup.CannotGoOn) is { } reason) throw new JobStopping(JobStatuses.Failed, reason);
                if (done()) return;
                deadline = new[] { _round?.NextDeadline(_job.Server), _attendance.NextDeadline(), until }.Min();
            }
            var wait = deadline is { } at ? at - _clock.GetUtcNow() : Timeout.InfiniteTimeSpan;
            if (wait == Timeout.InfiniteTimeSpan || wait > TimeSpan.Zero)
            {
                using var timer = wait == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(wait, _clock);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(cancel, timer.Token);
                try
                {
                    await _wake.WaitAsync(either.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                }
            }
        }
    }

    void Wake() => _wake.Release();

    public void Abort(string reason)
    {
        lock (_gate) _abortReason = reason;
        Wake();
    }

    /// <summary>The site was declared gone: its task is dropped, and it must set up again when it returns.</summary>
    public void Forget(string site)
    {
        lock (_gate) _board.Forget(site);
        Wake();
    }

    /// <summary>The site's next task, or null when it should wait.</summary>
    public TaskAssignment? NextTask(string site, string session)
    {
        lock (_gate)
        {
            if (_over || !_job.Meta.Sites.Contains(site) || _setup.LeftOut(site) is not null || _board.IsBusy(site, session)) return null;
            if (!_board.IsConfigured(site, session)) return _board.Issue(site, session, SiteTaskKind.Configure, _state.NextRound, config: _siteTaskConfig);
            if (_secure is not null) return _secure.NextTask(site, session, _board);
            if (_round is null || _round.Closed || _round.HasAnswered(site) || !_round.Sites.Contains(site)) return null;
            return _round.Training
                ? _board.Issue(site, session, SiteTaskKind.Train, _round.Number, _globalPayload, complete: t => t with { SecureAggregation = _job.Server.SecureAggregation })
                : _board.Issue(site, session, SiteTaskKind.Validate, _round.Number, _globalPayload);
        }
    }

    /// <summary>Each of the job's sites: its connection and what it is doing in the job.</summary>
    public IReadOnlyList<JobSiteState> Sites()
    {
        lock (_gate) return _job.Meta.Sites.Select(site => new JobSiteState(site, _sites.Connection(site), Activity(site))).ToList();
    }

    string Activity(string site) =>
        _setup.LeftOut(site) is { } why ? $"left out: {why}"
        : _board.Activity(site) ?? (_round?.HasAnswered(site) == true ? $"answered round {_state.NextRound}"
            : _round is { } round && !round.Sites.Contains(site) ? $"not drawn for round {round.Number}" : "waiting for a task");

    /// <summary>Whether the site should keep working on this task (heartbeats ask).</summary>
    public bool Wants(string site, string taskId)
    {
        lock (_gate) return !_over && _board.Wants(site, taskId);
    }

    void SetGlobal(ModelState global)
    {
        _global = global;
        _globalPayload = global.ToBytes();
    }
}
