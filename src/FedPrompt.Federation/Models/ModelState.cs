using FedPrompt.Formats.Checkpoints;


namespace FedPrompt.Federation.Models;

/// <summary>One named fp32 tensor of a prompt encoder.</summary>
public sealed record NamedTensor(string Name, long[] Shape, float[] Values)
{
    public string Describe() => $"{Name} F32[{string.Join(", ", Shape)}]";
}

/// <summary>
/// A prompt encoder's weights as the server sees them: named fp32 arrays, no torch needed. Read from
/// and written as safetensors — the bytes that travel between sites and the server.
/// </summary>
public sealed class ModelState
{
    public ModelState(IReadOnlyList<NamedTensor> tensors)
    {
        Tensors = tensors;
    }

    public IReadOnlyList<NamedTensor> Tensors { get; }

    public long ParameterCount => Tensors.Sum(t => (long)t.Values.Length);

    public static ModelState Read(ITensorSource source)
    {
        var tensors = new List<NamedTensor>();
        foreach (var (name, stored) in source.Tensors)
        {
            if (stored.DType != StoredDType.F32)
                throw new InvalidDataException($"{source.Origin}: {stored.Describe()} is not F32");
            var values = new float[stored.ElementCount];
            stored.ReadInto(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            tensors.Add(new NamedTensor(name, stored.Shape, values));
        }
        return new ModelState(tensors);
    }

    public static ModelState ReadFile(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        return Read(file);
    }

    public static ModelState FromBytes(byte[] safetensors, string origin)
    {
        using var file = SafeTensorsFile.Open(new MemoryStream(safetensors, writable: false), origin);
        return Read(file);
    }

    public List<SafeTensorsEntry> Entries() =>
        Tensors.Select(t => new SafeTensorsEntry(t.Name, StoredDType.F32, t.Shape,
            stream => stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Values.AsSpan())))).ToList();

    public byte[] ToBytes(IReadOnlyDictionary<string, string>? metadata = null)
    {
        // Sized up front (data plus room for the header): no doubling copies of a large model.
        var stream = new MemoryStream(checked((int)(ParameterCount * 4 + 64 * 1024)));
        SafeTensorsWriter.Write(stream, Entries(), metadata);
        return stream.ToArray();
    }

    public void WriteFile(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsWriter.WriteFile(path, Entries(), metadata);

    /// <summary>Why <paramref name="source"/> cannot be combined with this model (names, shapes,
    /// dtypes differ), or null when it can.</summary>
    public string? Mismatch(ITensorSource source)
    {
        var problems = new List<string>();
        var expected = Tensors.ToDictionary(t => t.Name);
        var missing = Tensors.Where(t => !source.Tensors.ContainsKey(t.Name)).Select(t => t.Name).ToList();
        if (missing.Count > 0) problems.Add($"missing {string.Join(", ", missing)}");
        var extra = source.Tensors.Keys.Where(n => !expected.ContainsKey(n)).ToList();
        if (extra.Count > 0) problems.Add($"unexpected {string.Join(", ", extra)}");
        foreach (var (name, stored) in source.Tensors)
            if (expected.TryGetValue(name, out var tensor) && (stored.DType != StoredDType.F32 || !stored.Shape.SequenceEqual(tensor.Shape)))
                problems.Add($"{stored.Describe()} where the global model has {tensor.Describe()}");
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>This state moved by <paramref name="update"/> (per tensor, in this state's order), rounded to fp32 once.</summary>
    public ModelState Plus(IReadOnlyList<double[]> update) => new(Tensors.Select((t, i) =>
    {
        var next = new float[t.Values.Length];
        for (int j = 0; j < next.Length; j++) next[j] = (float)(t.Values[j] + update[i][j]);
        return t with { Values = next };
    }).ToList());

    public ModelState Clone() => new(Tensors.Select(t => t with { Values = (float[])t.Values.Clone() }).ToList());
}
