using System.Runtime.InteropServices;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Models;

/// <summary>A <see cref="ModelState"/> seen as an opened checkpoint, so that what loads checkpoints
/// (a site's prompt encoder) takes it straight from memory, without a round trip through safetensors.</summary>
public sealed class ModelStateSource(ModelState state, string origin) : ITensorSource
{
    sealed class InMemoryTensor(NamedTensor tensor) : StoredTensor(tensor.Name, StoredDType.F32, tensor.Shape)
    {
        public override void ReadInto(Span<byte> destination) => MemoryMarshal.AsBytes(tensor.Values.AsSpan()).CopyTo(destination);
    }

    public string Origin { get; } = origin;

    public IReadOnlyDictionary<string, StoredTensor> Tensors { get; } =
        state.Tensors.ToDictionary(t => t.Name, t => (StoredTensor)new InMemoryTensor(t), StringComparer.Ordinal);

    public void Dispose()
    {
    }
}
