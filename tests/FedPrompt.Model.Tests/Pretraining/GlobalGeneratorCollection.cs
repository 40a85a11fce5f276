namespace FedPrompt.Model.Tests.Pretraining;

/// <summary>Tests that depend on libtorch's process-wide generator (the pretrainer seeds it per step
/// for dropout) run alone: a test drawing from it on another thread would change their masks.</summary>
[CollectionDefinition(nameof(GlobalGeneratorCollection), DisableParallelization = true)]
public sealed class GlobalGeneratorCollection;
