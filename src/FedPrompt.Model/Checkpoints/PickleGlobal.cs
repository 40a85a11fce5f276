namespace FedPrompt.Model.Checkpoints;

/// <summary>A pickle's reference to a Python class or function by name. It stays a name: what calling
/// it builds is up to the <see cref="IPickleEnvironment"/>, and nothing is ever imported or run.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}
