using static TorchSharp.torch;

namespace FedPrompt.Model;

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
