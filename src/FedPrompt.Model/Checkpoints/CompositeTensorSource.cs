using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Model.Checkpoints;

/// <summary>Several checkpoint files (shards) seen as one; a tensor name may appear in only one of them.</summary>
public sealed class CompositeTensorSource : ITensorSource
{
    readonly List<ITensorSource> _parts;
    readonly Dictionary<string, StoredTensor> _tensors = new(StringComparer.Ordinal);

    public CompositeTensorSource(string origin, IEnumerable<ITensorSource> parts)
    {
        Origin = origin;
        _parts = parts.ToList();
        try
        {
            foreach (var part in _parts)
                foreach (var (name, tensor) in part.Tensors)
                    if (!_tensors.TryAdd(name, tensor))
                        throw new InvalidDataException($"{origin}: tensor {name} appears in more than one shard (again in {part.Origin})");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Origin { get; }
    public IReadOnlyDictionary<string, StoredTensor> Tensors => _tensors;

    public void Dispose()
    {
        foreach (var part in _parts) part.Dispose();
    }
}
