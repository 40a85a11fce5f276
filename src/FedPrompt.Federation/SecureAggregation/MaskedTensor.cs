namespace FedPrompt.Federation.SecureAggregation;

/// <summary>One tensor of a <see cref="MaskedUpdate"/>: the fixed-point words of the site's weighted
/// difference plus its masks, modulo 2^64, in the shape of the model's tensor of that name.</summary>
public sealed record MaskedTensor(string Name, long[] Shape, ulong[] Values);
