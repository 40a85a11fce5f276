using static TorchSharp.torch;

namespace FedPrompt.Model;

/// <summary>Where a decoder's linear layer sits: in attention (queries, keys, values, output) or in the MLP.</summary>
public enum LinearRole { Attention, Mlp }

/// <summary>A linear layer of a decoder's blocks that adapters may change: its Hugging Face module
/// path (h.0.attn.c_attn, model.layers.0.self_attn.q_proj), its name within its block
/// (attn.c_attn, self_attn.q_proj: what PEFT's target_modules match), its shape and its role.</summary>
public sealed record AdaptableLinear(string Path, string WithinBlock, long InFeatures, long OutFeatures, LinearRole Role);

/// <summary>
/// Additions to a decoder's linear layers for one forward pass, such as LoRA's scaled B·A·x. They are
/// given per pass, not installed in the model, because one frozen model serves many simulated sites at
/// once, each with its own adapters.
/// </summary>
public interface ILinearAdapters
{
    /// <summary>What to add to the output of the linear layer at <paramref name="path"/> for its
    /// input <paramref name="input"/>, or null to leave it as it is.</summary>
    Tensor? Addition(string path, Tensor input);
}
