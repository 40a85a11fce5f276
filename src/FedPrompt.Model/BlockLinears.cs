using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPrompt.Model;

/// <summary>Where a decoder's linear layer sits: in attention (queries, keys, values, output) or in the MLP.</summary>
public enum LinearRole { Attention, Mlp }

/// <summary>A linear layer of a decoder's blocks that adapters may change: its Hugging Face module
/// path (h.0.attn.c_attn, model.layers.0.self_attn.q_proj), its name within its block
/// (attn.c_attn, self_attn.q_proj: what PEFT's target_modules match), its shape and its role.</summary>
public sealed record AdaptableLinear(string Path, string WithinBlock, long InFeatures, long OutFeatures, LinearRole Role);

/// <summary>
/// A decoder's linear layers inside its blocks, each with its Hugging Face module path. TorchSharp
/// also lists each module under the name of the field that holds it (h.0._attn), so a linear's path
/// is the one its weight's parameter name (the checkpoint's) starts with. A linear outside the
/// blocks (an untied LM head) is not adaptable; the role is read from the module names, where both
/// families call their feed-forward block "mlp".
/// </summary>
sealed class BlockLinears
{
    public BlockLinears(nn.Module decoder)
    {
        var parameterNames = decoder.named_parameters().Select(p => p.name).ToHashSet();
        var linears = decoder.named_modules()
            .Where(m => m.module is Linear && m.name.Contains('.') && parameterNames.Contains(m.name + ".weight"))
            .Select(m => (Path: m.name, Linear: (Linear)m.module)).ToList();
        List = linears.Select(l =>
        {
            var parts = l.Path.Split('.');
            var shape = l.Linear.weight!.shape;
            return new AdaptableLinear(l.Path, string.Join('.', parts[^2..]), shape[1], shape[0], parts[^2] == "mlp" ? LinearRole.Mlp : LinearRole.Attention);
        }).ToList();
        Paths = linears.ToDictionary(l => l.Linear, l => l.Path, ReferenceEqualityComparer.Instance as IEqualityComparer<Linear>);
    }

    public IReadOnlyList<AdaptableLinear> List { get; }

    public IReadOnlyDictionary<Linear, string> Paths { get; }
}
