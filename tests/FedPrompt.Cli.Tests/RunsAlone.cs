namespace FedPrompt.Cli.Tests;

/// <summary>Tests that keep both cores busy for minutes run after the others, one at a time.</summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;
