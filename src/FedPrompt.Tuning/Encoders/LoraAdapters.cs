using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Encoders;

/// <summary>
/// LoRA (Hu et al. 2021) as PEFT builds it: each targeted linear layer W of the frozen model gains
/// (alpha / r)·B·A·x, A [r, in] drawn as nn.Linear draws its weights (Kaiming-uniform, PEFT's
/// default) and B [out, r] zero, so training starts from the frozen model's own output. W itself is
/// never touched, so it may stay in bf16 and be shared by every site. The parameters are named after
/// the layer they adapt (h.0.attn.c_attn.lora_A.weight), which is PEFT's naming less its
/// "base_model.model." prefix.
/// </summary>
public sealed class LoraAdapters : PromptEncoder, ILinearAdapters
{
    readonly Dictionary<string, LowRankPair> _pairs = [];
    readonly double _scaling;
    readonly double _dropout;

    public LoraAdapters(PromptEncoderSettings settings, LanguageModel model) : base("lora", settings)
    {
        _scaling = settings.LoraAlpha / settings.LoraRank;
        _dropout = settings.LoraDropout;
        var linears = model.Network.AdaptableLinears;
        var targets = settings.LoraTargetNames();
        var unmatched = targets.Where(t => !linears.Any(l => Matches(l, t))).ToList();
        if (unmatched.Count > 0)
            throw new ArgumentException($"lora_targets: {string.Join(", ", unmatched)} names no linear layer of this model " +
                $"(its layers: attention, mlp, all, or {string.Join(", ", linears.Select(l => l.WithinBlock).Distinct())})");
        var root = new ModuleFolder("lora");
        foreach (var linear in linears.Where(l => targets.Any(t => Matches(l, t))))
        {
            var pair = new LowRankPair(linear.InFeatures, linear.OutFeatures, settings.LoraRank, settings.LoraFreezeA, Random);
            root.Place(linear.Path.Split('.'), pair);
            _pairs[linear.Path] = pair;
        }
        foreach (var (name, child) in root.named_children()) register_module(name, child);
    }

    /// <summary>The adapted layers' module paths, in the network's order.</summary>
    public IReadOnlyCollection<string> AdaptedLayers => _pairs.Keys;

    public override ILinearAdapters Adapters => this;

    /// <summary>PEFT's matching of target_modules (the whole path, or its ending after a dot), plus
    /// the families' shorthands.</summary>
    public static bool Matches(AdaptableLinear linear, string target) => target switch
    {
        "all" => true,
        "attention" => linear.Role == LinearRole.Attention,
        "mlp" => linear.Role == LinearRole.Mlp,
        _ => linear.Path == target || linear.Path.EndsWith("." + target, StringComparison.Ordinal),
    };

    public Tensor? Addition(string path, Tensor input)
    {
        if (!_pairs.TryGetValue(path, out var pair)) return null;
        // In fp32 whatever the frozen model computes in: A and B are what trains, and their products
        // (r wide) cost little beside the frozen layer's.
        using var scaling = _scaling.ToScalar(); // held until the call returns: see Decoder.Attend
        var x = input.to_type(ScalarType.Float32);
        // Inverted dropout with masks from the encoder's own generator (functional.dropout draws from the process-wide one).
        if (training && _dropout > 0) x = x.mul(empty_like(x).bernoulli_(1 - _dropout, Random).div_(1 - _dropout));
        return pair.B.forward(pair.A.forward(x)).mul(scaling);
    }

    /// <summary>The product (alpha / r)·B·A of one adapted layer, [out, in]: what merging adds to its weight.</summary>
    public Tensor Delta(string path)
    {
        var pair = _pairs[path];
        return pair.B.weight!.matmul(pair.A.weight!).mul(_scaling);
    }

    sealed class LowRankPair : nn.Module
    {
        public LowRankPair(long inFeatures, long outFeatures, int rank, bool freezeA, Generator random) : base("lora_pair")
        {
            A = nn.Linear(inFeatures, rank, hasBias: false);
            DefaultInitialisation.Apply(A, random);
            B = nn.Linear(rank, outFeatures, hasBias: false);
            // Drawn and then zeroed, as constructing it did: the same seed keeps giving the A matrices it gave.
            DefaultInitialisation.Apply(B, random);
            using (no_grad()) B.weight!.zero_();
            if (freezeA) A.weight!.requires_grad = false;
            register_module("lora_A", A);
            register_module("lora_B", B);
        }

        public Linear A { get; }
        public Linear B { get; }
    }

    /// <summary>A module that only holds children, so that nested names spell a layer's path.</summary>
    sealed class ModuleFolder(string name) : nn.Module(name)
    {
        readonly Dictionary<string, ModuleFolder> _folders = [];

        public void Place(ReadOnlySpan<string> path, nn.Module leaf)
        {
            if (path.Length == 1)
            {
                register_module(path[0], leaf);
                return;
            }
            if (!_folders.TryGetValue(path[0], out var folder))
            {
                _folders[path[0]] = folder = new ModuleFolder(path[0]);
                register_module(path[0], folder);
            }
            folder.Place(path[1..], leaf);
        }
    }
}
