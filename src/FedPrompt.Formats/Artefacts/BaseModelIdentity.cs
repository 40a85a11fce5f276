namespace FedPrompt.Formats.Artefacts;

/// <summary>The base model a prompt encoder belongs to: its architecture and a hash of its weights.</summary>
public sealed record BaseModelIdentity(string Architecture, string Fingerprint);
