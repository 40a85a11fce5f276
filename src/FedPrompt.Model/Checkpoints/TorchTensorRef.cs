using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Model.Checkpoints;

/// <summary>A tensor a torch.save pickle rebuilds: a strided view of a storage, offsets and strides counted
/// in elements. <see cref="DType"/> is null when torch's dtype has no <see cref="StoredDType"/>;
/// <see cref="DTypeName"/> says which torch name it was.</summary>
internal sealed record TorchTensorRef(
    TorchStorageRef Storage, StoredDType? DType, string DTypeName, long StorageOffset, long[] Size, long[] Stride);
