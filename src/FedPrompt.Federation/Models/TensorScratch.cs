using System.Runtime.InteropServices;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Models;

/// <summary>
/// One reusable buffer for reading stored fp32 tensors. The server reads every update twice (check,
/// then aggregate), tensor by tensor; fresh arrays each time would be megabytes of large-object
/// garbage per site per round, which is what a busy server's memory would fill with.
/// </summary>
public sealed class TensorScratch
{
    float[] _buffer = [];

    public ReadOnlySpan<float> Read(StoredTensor tensor)
    {
        if (tensor.DType != StoredDType.F32) throw new InvalidDataException($"{tensor.Describe()} is not F32");
        int count = checked((int)tensor.ElementCount);
        if (_buffer.Length < count) _buffer = new float[count];
        var span = _buffer.AsSpan(0, count);
        tensor.ReadInto(MemoryMarshal.AsBytes(span));
        return span;
    }
}
