using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Model.Checkpoints;

/// <summary>A storage a torch.save pickle refers to by persistent id; its bytes are the zip entry
/// <c>data/{Key}</c>. <see cref="DType"/> is null for storage classes with no <see cref="StoredDType"/>.</summary>
internal sealed record TorchStorageRef(string Key, PickleGlobal StorageClass, StoredDType? DType);
