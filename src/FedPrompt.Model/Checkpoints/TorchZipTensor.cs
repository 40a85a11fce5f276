using System.IO.Compression;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Model.Checkpoints;

/// <summary>A tensor of a <see cref="TorchZipCheckpoint"/>: a strided view of the storage in one zip entry,
/// which may be shared with other tensors (tied weights, slices).</summary>
internal sealed class TorchZipTensor(
    string name, StoredDType dtype, long[] shape, ZipArchiveEntry storage, long storageOffset, long[] stride, string origin)
    : StoredTensor(name, dtype, shape)
{
    public override void ReadInto(Span<byte> destination)
    {
        this.CheckDestination(destination);
        // Entries of one archive share its stream, so reads take turns.
        lock (storage.Archive)
        {
            using var reader = new ZipEntryReader(storage);
            try
            {
                StridedCopy.Gather(reader, DType.Size(), storageOffset, Shape, stride, destination);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                throw new InvalidDataException($"{origin}: cannot read tensor '{Name}' from entry '{storage.FullName}': {e.Message}", e);
            }
        }
    }
}
