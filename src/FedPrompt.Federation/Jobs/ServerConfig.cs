namespace FedPrompt.Federation.Jobs;

/// <summary>The server app's config.json: the scatter-and-gather workflow's settings (NVFlare's names).</summary>
public sealed record ServerConfig
{
    public int NumRounds { get; init; } = 1;
    /// <summary>Results a round needs; it waits for more up to <see cref="WaitTimeAfterMinReceived"/>.</summary>
    public int MinClients { get; init; } = 1;
    /// <summary>Seconds to wait for the remaining sites once <see cref="MinClients"/> results are in.</summary>
    public double WaitTimeAfterMinReceived { get; init; } = 10;
    /// <summary>Seconds a round may take before it closes with what it has (0: no limit).</summary>
    public double TrainTimeout { get; init; }
    /// <summary>How the round's updates are combined: <c>fedavg</c> (weighted by steps, the reference's);
    /// a server optimizer on FedAvg's mean: <c>fedavgm</c>, <c>fedadagrad</c>, <c>fedadam</c>,
    /// <c>fedyogi</c>; or one robust to dishonest sites: <c>median</c>, <c>trimmed_mean</c>, <c>multi_krum</c>.</summary>
    public string Strategy { get; init; } = "fedavg";
    /// <summary>Client sampling (Flower's fraction_fit / min_fit_clients): each training round asks
    /// max(min_clients, min_train_sites, ⌈fraction_train × sites⌉) of the job's sites, drawn from
    /// sampling_seed and the round number; the others wait. Final validation asks every site.</summary>
    public double FractionTrain { get; init; } = 1;
    public int MinTrainSites { get; init; }
    public long SamplingSeed { get; init; } = 1234;

    /// <summary>How many of <paramref name="sites"/> a training round draws.</summary>
    public int SampleSize(int sites) => Math.Min(sites, Math.Max(Math.Max(MinClients, MinTrainSites), (int)Math.Ceiling(FractionTrain * sites - 1e-9)));

    /// <summary>How many dishonest sites trimmed_mean and multi_krum must withstand (f).</summary>
    public int ByzantineSites { get; init; } = 1;
    /// <summary>The server optimizer's η (default 1 for fedavgm, 0.1 for the adaptive ones, Flower's).</summary>
    public double? ServerLearningRate { get; init; }
    /// <summary>fedavgm's momentum β.</summary>
    public double ServerMomentum { get; init; } = 0.9;
    /// <summary>The adaptive optimizers' β₁, β₂ and τ (Flower's defaults).</summary>
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.99;
    public double Tau { get; init; } = 1e-9;

    public double EffectiveServerLearningRate() => ServerLearningRate ?? (Strategy == "fedavgm" ? 1.0 : 0.1);
    /// <summary>Differential privacy for the updates (central: the server clips and noises; local: each site does).</summary>
    public Privacy.PrivacySettings? Privacy { get; init; }
    /// <summary>Pairwise-masked secure aggregation: the server learns only the sum of the updates.</summary>
    public bool SecureAggregation { get; init; }
    /// <summary>The most training examples a site may declare: its weight (steps) is bounded by what they allow.</summary>
    public long MaxSiteExamples { get; init; } = 1_000_000;
    /// <summary>An update longer (L2) than this multiple of the round's median update norm is scaled
    /// down to it (<see cref="Aggregation.NormBounded"/>); 0 turns the bound off.</summary>
    public double UpdateNormBound { get; init; } = 3;

    public static readonly IReadOnlyList<string> Strategies = ["fedavg", "fedavgm", "fedadagrad", "fedadam", "fedyogi", "median", "trimmed_mean", "multi_krum"];

    public ServerConfig Validated(string origin, int sites)
    {
        void Require(bool ok, string problem)
        {
            if (!ok) throw new InvalidDataException($"{origin}: {problem}");
        }
        Require(NumRounds >= 1, $"num_rounds must be ≥ 1 (got {NumRounds})");
        Require(MinClients >= 1 && MinClients <= sites, $"min_clients must be between 1 and the job's {sites} sites (got {MinClients})");
        Require(WaitTimeAfterMinReceived >= 0, $"wait_time_after_min_received must be ≥ 0 (got {WaitTimeAfterMinReceived})");
        Require(TrainTimeout >= 0, $"train_timeout must be ≥ 0 (got {TrainTimeout})");
        Require(Strategies.Contains(Strategy), $"strategy \"{Strategy}\" is unknown (known: {string.Join(", ", Strategies)})");
        Require(ServerLearningRate is null || ServerLearningRate > 0, $"server_learning_rate must be > 0 (got {ServerLearningRate})");
        Require(ServerMomentum is >= 0 and < 1, $"server_momentum must be in [0, 1) (got {ServerMomentum})");
        Require(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, $"beta1 and beta2 must be in [0, 1) (got {Beta1}, {Beta2})");
        Require(Tau > 0, $"tau must be > 0 (got {Tau})");
        Require(FractionTrain is > 0 and <= 1, $"fraction_train must be in (0, 1] (got {FractionTrain})");
        Require(MinTrainSites >= 0 && MinTrainSites <= sites, $"min_train_sites must be between 0 and the job's {sites} sites (got {MinTrainSites})");
        Require(ByzantineSites >= 0, $"byzantine_sites must be ≥ 0 (got {ByzantineSites})");
        Require(Strategy != "trimmed_mean" || MinClients >= 2 * ByzantineSites + 1,
            $"trimmed_mean with byzantine_sites {ByzantineSites} needs min_clients ≥ {2 * ByzantineSites + 1} (got {MinClients})");
        Require(Strategy != "multi_krum" || MinClients >= 2 * ByzantineSites + 3,
            $"multi_krum with byzantine_sites {ByzantineSites} needs min_clients ≥ {2 * ByzantineSites + 3} (got {MinClients})");
        Require(Strategy == "fedavg" || (Privacy?.Mode != Federation.Privacy.PrivacyMode.Central && !SecureAggregation),
            $"strategy {Strategy} needs each update, which central privacy (its own clipped average) and secure_aggregation (only the sum) do not give: use fedavg with them");
        Require(UpdateNormBound == 0 || UpdateNormBound >= 1, $"update_norm_bound must be 0 (off) or ≥ 1 (got {UpdateNormBound})");
        Require(MaxSiteExamples >= 1, $"max_site_examples must be ≥ 1 (got {MaxSiteExamples})");
        Privacy?.Validated(origin);
        Require(!(SecureAggregation && Privacy?.Mode == Federation.Privacy.PrivacyMode.Central),
            "secure_aggregation hides each update from the server, which central privacy needs to clip: use privacy.mode \"local\" with it");
        Require(!SecureAggregation || sites >= 2, "secure_aggregation needs at least 2 sites");
        Require(!SecureAggregation || MinClients >= 2, "secure_aggregation needs min_clients ≥ 2 (a sum of one update is that update)");
        return this;
    }
}
