using FedPrompt.Model.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPrompt.Model.Tests;

public class TorchNativeTests
{
    [Fact]
    public void TorchSharpLoadsAndComputes()
    {
        TorchNative.EnsureLoaded();
        var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        var b = tensor(new float[] { 5, 6, 7, 8 }).reshape(2, 2);
        var c = matmul(a, b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
    }
}
