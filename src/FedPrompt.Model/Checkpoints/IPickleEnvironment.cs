namespace FedPrompt.Model.Checkpoints;

/// <summary>What a pickle's references to the outside world mean to the one reading it.</summary>
internal interface IPickleEnvironment
{
    /// <summary>The object that calling <paramref name="callable"/> with <paramref name="arguments"/> would
    /// build (REDUCE, NEWOBJ); a <see cref="PickleOpaque"/> for anything the reader does not care about.</summary>
    /// <exception cref="InvalidDataException">A known callable got arguments it cannot take.</exception>
    object? Construct(PickleGlobal callable, object?[] arguments);

    /// <summary>The object a persistent id stands for (BINPERSID).</summary>
    /// <exception cref="InvalidDataException">The id is not one this environment knows.</exception>
    object? LoadPersistent(object? persistentId);
}
