namespace FedPrompt.Model.Checkpoints;

/// <summary>Stands for an object the environment does not know how to build (a custom class instance,
/// an io.BytesIO, ...): it absorbs whatever state and items the pickle gives it, so unpickling goes on.</summary>
internal sealed class PickleOpaque(PickleGlobal? type)
{
    /// <summary>The class or function that built it, when the pickle named one.</summary>
    public PickleGlobal? Type { get; } = type;

    public override string ToString() => Type is null ? "an object of unknown type" : $"a {Type} object";
}
