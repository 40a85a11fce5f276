using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Encoders;

/// <summary>
/// PyTorch's default initialisation of the modules encoders are built from, drawn from the encoder's
/// own generator. TorchSharp's constructors draw from the process-wide generator, which every model
/// load, every other site and every other test in the process draw from too, so seeding it could not
/// make an encoder reproducible. The draws are the constructors' own, in their order, so an encoder
/// is bit for bit the one the constructors give after manual_seed(seed) with nothing else drawing.
/// </summary>
static class DefaultInitialisation
{
    /// <summary>Re-draws the parameters of <paramref name="module"/> and of what it holds, in registration order.</summary>
    public static void Apply(nn.Module module, Generator random)
    {
        using var noGrad = no_grad();
        switch (module)
        {
            case Linear linear:
                // kaiming_uniform_(a = √5) and a bias bound of 1/√fan_in, computed as torch.nn.init does.
                double fanIn = linear.weight!.shape[1], gain = Math.Sqrt(2.0 / (1 + Math.Pow(Math.Sqrt(5), 2)));
                double bound = Math.Sqrt(3.0) * (gain / Math.Sqrt(fanIn));
                linear.weight.uniform_(-bound, bound, random);
                linear.bias?.uniform_(-1 / Math.Sqrt(fanIn), 1 / Math.Sqrt(fanIn), random);
                break;
            case Embedding embedding:
                embedding.weight!.normal_(0, 1, random);
                break;
            case LSTM lstm:
                double hidden = lstm.named_parameters().First(p => p.name == "weight_hh_l0").parameter.shape[1];
                foreach (var parameter in lstm.parameters()) parameter.uniform_(-1 / Math.Sqrt(hidden), 1 / Math.Sqrt(hidden), random);
                break;
            case Sequential sequential:
                foreach (var (_, child) in sequential.named_children()) Apply(child, random);
                break;
            case ReLU or Tanh:
                break;
            default:
                throw new NotSupportedException($"no default initialisation for {module.GetType().Name}");
        }
    }
}
