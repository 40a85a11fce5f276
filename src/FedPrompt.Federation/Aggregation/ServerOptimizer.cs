using FedPrompt.Federation.Models;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Aggregation;

/// <summary>
/// FedOpt (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2): the round's FedAvg
/// of the sites' differences is a pseudo-gradient Δ, and a server optimizer with state (m, v)
/// turns it into the step; a subclass is its per-weight update rule. The state after round r is
/// written beside the job (server-optimizer/r{r}.safetensors) before the round commits, and round
/// r + 1 starts from round r's file: a server that crashes before the commit redoes the round from
/// the same state, so a resumed job goes on exactly. The state is fp32, in memory as on disk.
/// </summary>
public abstract class ServerOptimizer(string jobFolder) : IAggregationStrategy
{
    readonly FedAvg _average = new();
    (int Round, ModelState State)? _last;

    public IRoundAggregation BeginRound(ModelState global, string jobId, int round)
    {
        // FedAvg around zero: its result is the mean difference itself, rounded to fp32 once.
        var zero = new ModelState(global.Tensors.Select(t => t with { Values = new float[t.Values.Length] }).ToList());
        return new Round(this, global, round, _average.BeginRound(zero, jobId, round));
    }

    /// <summary>The next value of one weight <paramref name="x"/> given its pseudo-gradient
    /// <paramref name="delta"/>, updating its state <paramref name="m"/> and <paramref name="v"/>.</summary>
    protected abstract double Step(double x, double delta, ref float m, ref float v);

    /// <summary>v's value before round 0 (the adaptive rules' v₋₁ = τ²).</summary>
    protected virtual float InitialV => 0;

    string StateFile(int round) => Path.Combine(jobFolder, "server-optimizer", $"r{round}.safetensors");

    /// <summary>The state the round starts from: the previous round's, or fresh at round 0.</summary>
    ModelState StateBefore(ModelState global, int round)
    {
        if (_last is { } last && last.Round == round - 1) return last.State;
        if (round == 0)
            return new ModelState(global.Tensors.SelectMany(t => new[]
            {
                new NamedTensor($"{t.Name}.m", t.Shape, new float[t.Values.Length]),
                new NamedTensor($"{t.Name}.v", t.Shape, Enumerable.Repeat(InitialV, t.Values.Length).ToArray()),
            }).ToList());
        var file = StateFile(round - 1);
        if (!File.Exists(file))
            throw new InvalidDataException($"the server optimizer's state after round {round - 1} ({file}) is missing: the job cannot go on exactly");
        using var source = SafeTensorsFile.Open(file);
        var layout = StateBefore(global, 0);
        if (layout.Mismatch(source) is { } mismatch) throw new InvalidDataException($"{file} does not fit the global model: {mismatch}");
        var read = ModelState.Read(source);
        return new ModelState(layout.Tensors.Select(t => read.Tensors.Single(r => r.Name == t.Name)).ToList());
    }

    ModelState Finish(ModelState global, int round, ModelState meanDifference)
    {
        var before = StateBefore(global, round);
        var weights = new List<NamedTensor>();
        var state = new List<NamedTensor>();
        for (int i = 0; i < global.Tensors.Count; i++)
        {
            var (x, delta) = (global.Tensors[i].Values, meanDifference.Tensors[i].Values);
            // Copies: the previous round's state stays as it was until this round's is written.
            var m = (float[])before.Tensors[2 * i].Values.Clone();
            var v = (float[])before.Tensors[2 * i + 1].Values.Clone();
            var next = new float[x.Length];
            for (int j = 0; j < x.Length; j++) next[j] = (float)Step(x[j], delta[j], ref m[j], ref v[j]);
            weights.Add(global.Tensors[i] with { Values = next });
            state.Add(before.Tensors[2 * i] with { Values = m });
            state.Add(before.Tensors[2 * i + 1] with { Values = v });
        }
        var after = new ModelState(state);
        Directory.CreateDirectory(Path.GetDirectoryName(StateFile(round))!);
        after.WriteFile(StateFile(round));
        if (File.Exists(StateFile(round - 2))) File.Delete(StateFile(round - 2));
        _last = (round, after);
        return new ModelState(weights);
    }

    sealed class Round(ServerOptimizer optimizer, ModelState global, int round, IRoundAggregation average) : IRoundAggregation
    {
        public int Count => average.Count;

        public IReadOnlyDictionary<string, double> Metrics => average.Metrics;

        public void Add(ITensorSource difference, double weight) => average.Add(difference, weight);

        public ModelState Finish() => Count == 0 ? global.Clone() : optimizer.Finish(global, round, average.Finish());
    }
}
