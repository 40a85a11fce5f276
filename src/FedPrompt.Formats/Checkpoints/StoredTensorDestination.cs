
namespace FedPrompt.Formats.Checkpoints;

internal static class StoredTensorDestination
{
    /// <summary>A destination of the wrong size means the caller built the wrong parameter; filling part
    /// of it would load a silently broken model.</summary>
    public static void CheckDestination(this StoredTensor tensor, Span<byte> destination)
    {
        if (destination.Length != tensor.ByteCount)
            throw new ArgumentException(
                $"{tensor.Describe()} needs a destination of {tensor.ByteCount} bytes, not {destination.Length}",
                nameof(destination));
    }
}
