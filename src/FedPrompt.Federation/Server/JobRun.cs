using System.Text.Json;
using FedPrompt.Federation.Aggregation;
using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Models;
using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Wire;
using FedPrompt.Formats.Artefacts;
using FedPrompt.Formats.Checkpoints;
using Microsoft.Extensions.Logging;

namespace FedPrompt.Federation.Server;

/// <summary>What the server hands a site: a task header and, for model tasks, the payload.</summary>
public sealed record TaskAssignment(TaskHeader Header, byte[]? Payload);

/// <summary>
/// One job's workflow on the server (NVFlare's scatter-and-gather controller): configure every site
/// (the first one's initial encoder becomes the round-0 global model), then rounds in which every
/// configured site trains the global model and returns its weight difference, folded into the
/// strategy as it arrives; a round closes when every live site has answered, or min_clients have
/// and wait_time_after_min_received has passed, or train_timeout expires. After the last round the
/// sites validate the final global model. Bad results are rejected one by one, logged with the
/// site and the reason; they cost their site the round, and the job only when every site has
/// answered a round and fewer than min_clients results were accepted: no site is asked again in
/// that round, so it could never close.
/// </summary>
public sealed class JobRun
{
    enum Phase { Configuring, Training, Securing, Validating, Over }

    sealed record Outstanding(string TaskId, string Session, TaskKind Kind, int Round);

    readonly JobDefinition _job;
    readonly JobStore _store;
    readonly ServerOptions _options;
    readonly SiteRegistry _sites;
    readonly IAggregationStrategy _strategy;
    readonly ILogger _log;
    readonly TimeProvider _clock;
    readonly Action<JobState>? _roundClosed;
    readonly AuditLog _audit;
    readonly Lock _gate = new();
    readonly SemaphoreSlim _signal = new(0);

    JobState _state;
    Phase _phase = Phase.Configuring;
    ModelState? _global;
    byte[]? _globalPayload;
    readonly Dictionary<string, string> _configuredSessions = new(StringComparer.Ordinal);
    readonly Dictionary<string, Outstanding> _outstanding = new(StringComparer.Ordinal);
    // The round in progress.
    IRoundAggregation? _aggregation;
    SecureRound? _secure;
    readonly Dictionary<string, SiteRecord> _accepted = new(StringComparer.Ordinal);
    readonly HashSet<string> _answered = new(StringComparer.Ordinal);
    readonly List<string> _rejected = [];
    // Why each site that answered the round is not in it: what a round that cannot close fails with.
    readonly Dictionary<string, string> _lostRound = new(StringComparer.Ordinal);
    DateTimeOffset _roundStarted;
    DateTimeOffset? _minReached;
    string? _abortReason;
    // A state committed under the lock, published to the listener once the lock is released.
    JobState? _closed;
    readonly TensorScratch _scratch = new();
    readonly string _siteTaskConfig;
    readonly SiteAttendance _attendance;

    public JobRun(JobState state, JobDefinition job, JobStore store, ServerOptions options, SiteRegistry sites,
        IAggregationStrategy strategy, ILogger log, TimeProvider clock, AuditLog audit, Action<JobState>? roundClosed = null)
    {
        _state = state;
        _job = job;
        _store = store;
        _options = options;
        _sites = sites;
        _strategy = strategy;
        _log = log;
        _clock = clock;
        _roundClosed = roundClosed;
        _audit = audit;
        _siteTaskConfig = SiteTaskConfig.For(job).ToJson();
        _attendance = new SiteAttendance(state.JobId, job.Meta.Sites, job.Server.MinClients, options.SiteConnectTimeout, sites, clock, log);
        if (state.GlobalFile is not null) SetGlobal(store.LoadModel(state.GlobalFile));
    }

    public string JobId => _state.JobId;
    public JobDefinition Job => _job;
    public JobStore Store => _store;

    public JobState State
    {
        get { lock (_gate) return _state; }
    }

    /// <summary>The workflow, until the job is finished, failed or aborted.</summary>
    public async Task RunAsync(CancellationToken cancel)
    {
        lock (_gate)
        {
            _state = _state with { Status = JobStatuses.Running, Message = null };
            _store.SaveState(_state);
        }
        _log.LogInformation("job {Job}: started ({Rounds} rounds, sites {Sites}, min_clients {Min}){Resume}", JobId, _job.Server.NumRounds,
            string.Join(", ", _job.Meta.Sites), _job.Server.MinClients, _state.NextRound > 0 ? $", resuming at round {_state.NextRound}" : "");
        while (true)
        {
            try
            {
                await _signal.WaitAsync(TimeSpan.FromMilliseconds(200), cancel);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            JobState? closed;
            bool over;
            lock (_gate)
            {
                Step();
                (closed, _closed) = (_closed, null);
                over = _phase == Phase.Over;
            }
            // Outside the lock: whoever listens may take locks of their own (the server's job list).
            if (closed is not null) _roundClosed?.Invoke(closed);
            if (over) return;
        }
    }

    public void Abort(string reason)
    {
        lock (_gate) _abortReason = reason;
        _signal.Release();
    }

    /// <summary>Advances the workflow: start the next round, or close the current one. Under the lock.</summary>
    void Step()
    {
        if (_abortReason is not null)
        {
            End(JobStatuses.Aborted, _abortReason);
            return;
        }
        if (_attendance.GiveUpReason() is { } giveUp)
        {
            End(JobStatuses.Failed, giveUp);
            return;
        }
        var now = _clock.GetUtcNow();
        if (_phase == Phase.Configuring && _global is not null)
        {
            if (_state.NextRound < _job.Server.NumRounds) StartRound(Phase.Training, _state.NextRound);
            else if (!_state.FinalValidationDone) StartRound(Phase.Validating, _state.NextRound);
            else End(JobStatuses.Finished, null);
            return;
        }
        if (_phase == Phase.Securing)
        {
            AdvanceSecuring();
            return;
        }
        if (_phase is not (Phase.Training or Phase.Validating)) return;

        int accepted = _accepted.Count;
        int min = _job.Server.MinClients;
        if (accepted >= min && _minReached is null) _minReached = now;
        bool everyLiveSiteAnswered = _job.Meta.Sites.All(s => _answered.Contains(s) || !_sites.IsAlive(s) || _excluded.ContainsKey(s));
        bool waitedLongEnough = _minReached is { } reached && now - reached >= TimeSpan.FromSeconds(_job.Server.WaitTimeAfterMinReceived);
        // A site gone without answering may come back and answer; one that answered is not asked again this round.
        bool everySiteAnswered = _job.Meta.Sites.All(s => _answered.Contains(s) || _excluded.ContainsKey(s));
        bool timedOut = _job.Server.TrainTimeout > 0 && now - _roundStarted >= TimeSpan.FromSeconds(_job.Server.TrainTimeout);
        if (accepted >= min && (everyLiveSiteAnswered || waitedLongEnough || timedOut))
        {
            if (_phase == Phase.Training && _job.Server.SecureAggregation) StartSecuring();
            else CloseRound(_phase == Phase.Training ? _aggregation!.Finish() : null);
        }
        else if (everySiteAnswered)
            End(JobStatuses.Failed, $"round {_state.NextRound}{(_phase == Phase.Validating ? " (final validation)" : "")}: {accepted} of min_clients {min} results, no site left to answer; "
                + string.Join("; ", _job.Meta.Sites.Where(s => !_accepted.ContainsKey(s))
                    .Select(s => $"{s}: {(_excluded.TryGetValue(s, out var why) ? $"left out: {why}" : _lostRound[s])}")));
        else if (timedOut)
            End(JobStatuses.Failed, $"round {_state.NextRound}: {accepted} of min_clients {min} results within train_timeout {_job.Server.TrainTimeout} s");
    }

    void StartRound(Phase phase, int round)
    {
        _phase = phase;
        _aggregation = phase == Phase.Training && !_job.Server.SecureAggregation ? _strategy.BeginRound(_global!, JobId, round) : null;
        _secure = null;
        _accepted.Clear();
        _answered.Clear();
        _rejected.Clear();
        _lostRound.Clear();
        // Tasks of the previous round are stale now; a site still setting up keeps its configure task.
        foreach (var (site, task) in _outstanding.Where(o => o.Value.Kind != TaskKind.Configure).ToList()) _outstanding.Remove(site);
        _roundStarted = _clock.GetUtcNow();
        _minReached = null;
        _log.LogInformation("job {Job}: round {Round} {What}", JobId, round, phase == Phase.Training ? $"of {_job.Server.NumRounds} started" : "(final validation) started");
    }

    /// <summary>The sites have trained and hold their updates: secure aggregation collects them masked.</summary>
    void StartSecuring()
    {
        _phase = Phase.Securing;
        _secure = new SecureRound(_global!, JobId, _state.NextRound, _job.Server.MinClients, _accepted.ToDictionary(a => a.Key, a => a.Value.Steps));
        _log.LogInformation("job {Job}: round {Round}: secure aggregation of {Sites}", JobId, _state.NextRound, string.Join(", ", _accepted.Keys.Order(StringComparer.Ordinal)));
    }

    void AdvanceSecuring()
    {
        int attempt = _secure!.Attempt;
        _secure.Advance(_sites.IsAlive);
        if (_secure.Attempt != attempt)
            _log.LogWarning("job {Job}: round {Round}: secure aggregation restarts without the missing site ({Problem})", JobId, _state.NextRound, _secure.Problem);
        if (_secure.Current == SecureRound.Stage.Complete) CloseRound(_secure.Finish());
        else if (_secure.Current == SecureRound.Stage.Failed)
        {
            _log.LogWarning("job {Job}: round {Round}: secure aggregation failed ({Problem}); the global model stays as it was", JobId, _state.NextRound, _secure.Problem);
            _rejected.Add($"secure aggregation: {_secure.Problem}");
            CloseRound(_global);
        }
    }

    /// <param name="next">The next global model (a training round), or null (the final validation).</param>
    void CloseRound(ModelState? next)
    {
        int round = _state.NextRound;
        // With secure aggregation only the sites whose masked updates made up the sum count.
        var sites = _accepted.Values.Where(s => _secure is null || _secure.Participants.Contains(s.Site))
            .OrderBy(s => s.Site, StringComparer.Ordinal).ToList();
        double? loss = WeightedMean(sites, "validation_loss");
        double? accuracy = WeightedMean(sites, "validation_accuracy");
        var record = new RoundRecord(round, next is not null ? "train" : "validate", sites, _rejected.ToList(), loss, accuracy, _clock.GetUtcNow(),
            next is not null ? RoundMetrics(round) : null);

        // The metrics describe the global model the sites received: this round's. Round 0's
        // (the untrained initial model) never counts as best, as in the reference.
        ModelState? newBest = null;
        var state = _state with { Rounds = [.. _state.Rounds, record] };
        if (loss is { } l && round > 0 && (state.BestLoss is null || l < state.BestLoss))
        {
            newBest = _global;
            state = state with { BestLoss = l, BestRound = round };
        }
        state = next is not null ? state with { NextRound = round + 1 } : state with { FinalValidationDone = true };

        _state = _store.Commit(state, next, newBest, ArtefactMetadata());
        _store.WriteMetrics(_state);
        if (next is not null) SetGlobal(next);
        _log.LogInformation("job {Job}: round {Round} closed: {Count} site(s) ({Sites}); the global model of round {Round} on their validation data: loss {Loss}, accuracy {Accuracy}; {Best}{Privacy}{Rejected}",
            JobId, round, sites.Count, string.Join(", ", sites.Select(s => s.Site)), round, Format(loss), Format(accuracy), Best(_state),
            record.Aggregation?.TryGetValue("epsilon", out var epsilon) == true ? $"; privacy spent ε = {epsilon:F3} (δ = {record.Aggregation["delta"]:G2})" : "",
            _rejected.Count > 0 ? $"; turned away: {string.Join("; ", _rejected)}" : "");
        _closed = _state;
        _phase = Phase.Configuring;
        _aggregation = null;
        _secure = null;
    }

    static string Format(double? value) => value is { } v ? v.ToString("F4") : "none";

    /// <summary>The best global model so far, in words: round 0's (the untrained model) never counts.</summary>
    static string Best(JobState state, string which = "best so far") => state.BestLoss is { } best
        ? $"{which}: validation loss {best:F4}, the global model of round {state.BestRound}"
        : "no best model yet";

    /// <summary>What the strategy reports, and with privacy on, the (ε, δ) spent by the models released so far.</summary>
    Dictionary<string, double> RoundMetrics(int round)
    {
        var metrics = new Dictionary<string, double>(_aggregation?.Metrics ?? new Dictionary<string, double>());
        if (_secure is not null) metrics["secure_aggregation_attempts"] = _secure.Attempt;
        if (_job.Server.Privacy is { } privacy)
        {
            var spent = privacy.GuaranteeAfter(round + 1);
            metrics["epsilon"] = spent.Epsilon;
            metrics["delta"] = spent.Delta;
        }
        return metrics;
    }

    /// <summary>The step-weighted mean of a metric the sites reported (validation results weigh equally).</summary>
    static double? WeightedMean(IReadOnlyList<SiteRecord> sites, string metric)
    {
        var reported = sites.Where(s => s.Metrics.ContainsKey(metric)).ToList();
        if (reported.Count == 0) return null;
        double Weight(SiteRecord s) => s.Steps > 0 ? s.Steps : 1;
        return reported.Sum(s => Weight(s) * s.Metrics[metric]) / reported.Sum(Weight);
    }

    void End(string status, string? message)
    {
        _phase = Phase.Over;
        _state = _state with { Status = status, Message = message };
        _store.SaveState(_state);
        _audit.Record("server", $"job {status}", JobId, detail: message);
        _store.WriteMetrics(_state);
        if (status == JobStatuses.Finished)
            _log.LogInformation("job {Job}: finished; {Best}; models in {Folder}", JobId,
                _state.BestLoss is null ? "no round's global model had a validation loss, so there is no best model" : Best(_state, "best"), _store.Folder);
        else
            _log.LogWarning("job {Job}: {Status}: {Message}", JobId, status, message);
        _closed = _state;
    }

    void SetGlobal(ModelState global)
    {
        _global = global;
        _globalPayload = global.ToBytes();
    }

    /// <summary>What makes the server's global and best models p-tuning artefacts: the encoder's
    /// settings, template, answers, and the base model the sites reported.</summary>
    IReadOnlyDictionary<string, string> ArtefactMetadata()
    {
        if (_state.BaseModelJson is null) return new Dictionary<string, string>();
        var tuning = _job.Site.Tuning;
        var identity = JsonSerializer.Deserialize<BaseModelIdentity>(_state.BaseModelJson, JobState.Json)!;
        var header = new EncoderHeader(tuning.Encoder, tuning.Template.ToJson(), _state.Answers, identity);
        return new Dictionary<string, string> { [EncoderHeader.MetadataKey] = header.ToJson() };
    }

    /// <summary>The site's next task, or null when it should wait.</summary>
    public TaskAssignment? NextTask(string site, string session)
    {
        lock (_gate)
        {
            if (_phase == Phase.Over || !_job.Meta.Sites.Contains(site) || _excluded.ContainsKey(site)) return null;
            if (_outstanding.TryGetValue(site, out var current) && current.Session == session) return null;
            if (!_configuredSessions.TryGetValue(site, out var configured) || configured != session)
                return Issue(site, session, TaskKind.Configure, _state.NextRound, _siteTaskConfig, null);
            if (_phase == Phase.Training && !_answered.Contains(site))
                return Issue(site, session, TaskKind.Train, _state.NextRound, null, _globalPayload, h => h.SecureAggregation = _job.Server.SecureAggregation);
            if (_phase == Phase.Securing && _secure!.WantsKeyFrom(site))
                return Issue(site, session, TaskKind.SecureKey, _state.NextRound, null, null, h => h.Attempt = _secure.Attempt);
            if (_phase == Phase.Securing && _secure!.WantsMaskFrom(site))
                return Issue(site, session, TaskKind.SecureMask, _state.NextRound, null, null, h =>
                {
                    h.Attempt = _secure.Attempt;
                    h.Participants.AddRange(_secure.Keys.Select(k => new Protocol.ParticipantKey { Site = k.Site, PublicKey = Google.Protobuf.ByteString.CopyFrom(k.PublicKey) }));
                });
            if (_phase == Phase.Validating && !_answered.Contains(site))
                return Issue(site, session, TaskKind.Validate, _state.NextRound, null, _globalPayload);
            return null;
        }
    }

    TaskAssignment Issue(string site, string session, TaskKind kind, int round, string? config, byte[]? payload, Action<TaskHeader>? complete = null)
    {
        var taskId = $"{JobId}/{kind.ToString().ToLowerInvariant()}/r{round}/{site}/{Guid.NewGuid():N}";
        _outstanding[site] = new Outstanding(taskId, session, kind, round);
        var header = new TaskHeader { Kind = kind, JobId = JobId, TaskId = taskId, Round = round, ConfigJson = config ?? "" };
        if (payload is not null) header.Payload = Wire.Payloads.Describe(payload);
        complete?.Invoke(header);
        return new TaskAssignment(header, payload);
    }

    /// <summary>Each of the job's sites: its connection and what it is doing in the job.</summary>
    public IReadOnlyList<JobSiteState> Sites()
    {
        lock (_gate) return _job.Meta.Sites.Select(site => new JobSiteState(site, _sites.Connection(site), Activity(site))).ToList();
    }

    string Activity(string site) =>
        _excluded.TryGetValue(site, out var why) ? $"left out: {why}"
        : _outstanding.TryGetValue(site, out var task) ? task.Kind switch
        {
            TaskKind.Configure => "setting up",
            TaskKind.Train => $"training round {task.Round}",
            TaskKind.Validate => $"validating round {task.Round}",
            _ => $"secure aggregation, round {task.Round}",
        }
        : _answered.Contains(site) ? $"answered round {_state.NextRound}"
        : "waiting for a task";

    /// <summary>Whether the site should keep working on this task (heartbeats ask).</summary>
    public bool Wants(string site, string taskId)
    {
        lock (_gate) return _phase != Phase.Over && _outstanding.TryGetValue(site, out var task) && task.TaskId == taskId;
    }

    /// <summary>The site was declared gone: its task is dropped, and it must configure again when it returns.</summary>
    public void Forget(string site)
    {
        lock (_gate)
        {
            _outstanding.Remove(site);
            _configuredSessions.Remove(site);
        }
        _signal.Release();
    }

    /// <summary>Checks a result against the task it answers and folds it in. The payload (already
    /// size- and checksum-verified) is a safetensors stream, or null.</summary>
    /// <param name="uploadProblem">Why the payload could not be received (too large, checksum…): the
    /// result still answers the site's task, which then loses its round.</param>
    public ResultReply Accept(string site, ResultHeader header, Stream? payload, string? uploadProblem = null)
    {
        lock (_gate)
        {
            try
            {
                var reply = AcceptLocked(site, header, payload, uploadProblem);
                if (!reply.Accepted) Reject(site, header.Round, reply.Reason);
                else _audit.Record(site, $"{header.Kind.ToString().ToLowerInvariant()} result accepted", JobId, header.Round,
                    header.Kind == TaskKind.Train ? $"{header.Steps} steps" : null);
                return reply;
            }
            finally
            {
                _signal.Release();
            }
        }
    }

    void Reject(string site, int round, string reason)
    {
        _log.LogWarning("job {Job}: rejected a result from {Site} (round {Round}): {Reason}", JobId, site, round, reason);
        _audit.Record(site, "result rejected", JobId, round, reason);
        // Recorded with the round in progress, whatever round the result claimed.
        if (_phase is Phase.Training or Phase.Securing or Phase.Validating) _rejected.Add($"{site}: {reason}");
        // The first rejection once the site has answered is the one that answered it; later ones are strays.
        if (_answered.Contains(site) && !_accepted.ContainsKey(site)) _lostRound.TryAdd(site, reason);
    }

    ResultReply AcceptLocked(string site, ResultHeader header, Stream? payload, string? uploadProblem)
    {
        if (header.JobId != JobId) return No($"the result is for job {header.JobId}, not the running job {JobId}");
        if (!_job.Meta.Sites.Contains(site)) return No($"site {site} is not in job {JobId}");
        if (_phase == Phase.Over) return No("the job is over");
        if (header.Kind != TaskKind.Configure && header.Round != _state.NextRound)
            return No($"the result is for round {header.Round}; the current round is {_state.NextRound}");
        if (header.Kind is TaskKind.Train or TaskKind.Validate && _accepted.ContainsKey(site))
            return No($"a second result from {site} in round {header.Round}");
        if (!_outstanding.TryGetValue(site, out var task) || task.TaskId != header.TaskId)
            return No($"the result answers task {header.TaskId}, which is not the task {site} holds (stale or unknown)");
        _outstanding.Remove(site);

        if (header.Failed || uploadProblem is not null)
        {
            if (header.Kind == TaskKind.Configure) ConfigureFailed(site, header.Error);
            else if (header.Kind is TaskKind.SecureKey or TaskKind.SecureMask) _secure?.Drop(site);
            else _answered.Add(site);
            return No(uploadProblem ?? $"the site's task failed: {header.Error}");
        }
        return header.Kind switch
        {
            TaskKind.Configure => AcceptConfigure(site, task, header, payload),
            TaskKind.Train => AcceptTrain(site, header, payload),
            TaskKind.Validate => AcceptValidate(site, header),
            TaskKind.SecureKey or TaskKind.SecureMask => AcceptSecure(site, header, payload),
            _ => No($"unknown task kind {header.Kind}"),
        };
    }

    /// <summary>A site that cannot set up (its data is missing, its settings do not fit) is asked a few
    /// times, then left out of the job; when too few sites are left, the job fails with their reasons.</summary>
    void ConfigureFailed(string site, string error)
    {
        _configureFailures[site] = _configureFailures.GetValueOrDefault(site) + 1;
        if (_configureFailures[site] < MaxConfigureAttempts) return;
        _excluded[site] = error;
        _audit.Record(site, "excluded from job", JobId, detail: error);
        _log.LogWarning("job {Job}: {Site} left out after {Attempts} failed set-ups: {Error}", JobId, site, MaxConfigureAttempts, error);
        if (_job.Meta.Sites.Count - _excluded.Count < _job.Server.MinClients)
            End(JobStatuses.Failed, $"fewer than min_clients {_job.Server.MinClients} sites could set up: {string.Join("; ", _excluded.Select(e => $"{e.Key}: {e.Value}"))}");
    }

    const int MaxConfigureAttempts = 3;
    readonly Dictionary<string, int> _configureFailures = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _excluded = new(StringComparer.Ordinal);

    ResultReply AcceptConfigure(string site, Outstanding task, ResultHeader header, Stream? payload)
    {
        SiteInfo info;
        try
        {
            info = JsonSerializer.Deserialize<SiteInfo>(header.SiteInfoJson, JobState.Json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            return No($"unreadable site information: {e.Message}");
        }
        var baseModel = JsonSerializer.Serialize(info.BaseModel, JobState.Json);
        if (_state.BaseModelJson is not null && _state.BaseModelJson != baseModel)
            return No($"its base model ({info.BaseModel.Architecture}, {info.BaseModel.Fingerprint[..Math.Min(12, info.BaseModel.Fingerprint.Length)]}…) differs from the job's");
        if (payload is null) return No("no initial encoder in the configure result");
        ModelState? initial = null;
        try
        {
            using var source = SafeTensorsFile.Open(payload, $"{site}'s initial encoder", leaveOpen: true);
            if (_global is not null && _global.Mismatch(source) is { } mismatch) return No($"its encoder does not fit the job's: {mismatch}");
            // Only the first site's initial encoder is needed; the others' need not be read.
            if (_global is null) initial = ModelState.Read(source);
        }
        catch (InvalidDataException e)
        {
            return No(e.Message);
        }
        _configuredSessions[site] = task.Session;
        var answers = _state.Answers.Union(info.Answers).Order(StringComparer.Ordinal).ToList();
        _state = _state with { BaseModelJson = baseModel, Answers = answers };
        if (initial is not null)
        {
            // Every site builds the same initial encoder from the shared settings; the first one starts the job.
            _state = _store.Commit(_state, initial, null, ArtefactMetadata());
            SetGlobal(initial);
        }
        else _store.SaveState(_state);
        _log.LogInformation("job {Job}: {Site} configured ({Train} training, {Validation} validation examples)", JobId, site, info.TrainExamples, info.ValidationExamples);
        return Yes();
    }

    ResultReply AcceptSecure(string site, ResultHeader header, Stream? payload)
    {
        if (_phase != Phase.Securing) return No("no secure aggregation is under way");
        if (header.Attempt != _secure!.Attempt) return No($"the result is for secure aggregation attempt {header.Attempt}; the current one is {_secure.Attempt}");
        try
        {
            if (header.Kind == TaskKind.SecureKey) _secure.AcceptKey(site, header.PublicKey.ToByteArray());
            else _secure.AcceptMasked(site, payload ?? throw new InvalidDataException("no masked update in the result"), header.Steps);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            _secure.Drop(site);
            return No(e.Message);
        }
        return Yes();
    }

    ResultReply AcceptTrain(string site, ResultHeader header, Stream? payload)
    {
        if (_phase != Phase.Training) return No("no training round is open");
        _answered.Add(site);
        if (header.Steps <= 0) return No($"{header.Steps} local steps: an update must come from at least one optimizer step");
        if (_job.Server.SecureAggregation)
        {
            // The update stays at the site until it is masked; here only its weight and metrics arrive.
            if (payload is not null) return No("an unmasked update was sent although the job uses secure aggregation");
            _accepted[site] = new SiteRecord(site, header.Steps, new Dictionary<string, double>(header.Metrics));
            return Yes();
        }
        if (payload is null) return No("no weight difference in the train result");
        try
        {
            using var source = SafeTensorsFile.Open(payload, $"{site}'s update", leaveOpen: true);
            if (_global!.Mismatch(source) is { } mismatch) return No($"the update does not fit the global model: {mismatch}");
            if (NonFinite(source) is { } bad) return No($"the update holds NaN or infinite values ({bad})");
            _aggregation!.Add(source, header.Steps);
        }
        catch (InvalidDataException e)
        {
            return No($"unreadable update: {e.Message}");
        }
        _accepted[site] = new SiteRecord(site, header.Steps, new Dictionary<string, double>(header.Metrics));
        _log.LogInformation("job {Job}: round {Round}: accepted {Site}'s update: {Steps} local steps, the site's own training loss {TrainLoss}; the global model of round {Round} on {Site}'s validation data: loss {Loss}",
            JobId, header.Round, site, header.Steps, Metric(header, "train_loss"), header.Round, site, Metric(header, "validation_loss"));
        return Yes();
    }

    static string Metric(ResultHeader header, string name) => Format(header.Metrics.TryGetValue(name, out var value) ? value : null);

    ResultReply AcceptValidate(string site, ResultHeader header)
    {
        if (_phase != Phase.Validating) return No("no validation round is open");
        _answered.Add(site);
        _accepted[site] = new SiteRecord(site, 0, new Dictionary<string, double>(header.Metrics));
        return Yes();
    }

    string? NonFinite(ITensorSource source)
    {
        foreach (var (name, tensor) in source.Tensors)
            foreach (var value in _scratch.Read(tensor))
                if (!float.IsFinite(value)) return name;
        return null;
    }

    static ResultReply Yes() => new() { Accepted = true };
    static ResultReply No(string reason) => new() { Accepted = false, Reason = reason };
}
