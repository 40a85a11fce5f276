namespace FedPrompt.Formats.Checkpoints;

/// <summary>A tensor of a <see cref="SafeTensorsFile"/>: its bytes are stored exactly as ReadInto
/// returns them, so reading is one positioned read.</summary>
internal sealed class SafeTensorsTensor(SafeTensorsFile file, SafeTensorsHeader.Entry entry)
    : StoredTensor(entry.Name, entry.DType, entry.Shape)
{
    public override void ReadInto(Span<byte> destination)
    {
        this.CheckDestination(destination);
        file.ReadData(entry.Begin, destination);
    }
}
