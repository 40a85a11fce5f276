namespace FedPrompt.Formats.Settings;

/// <summary>
/// How the frozen model computes. <see cref="Bf16"/> holds its weights in bfloat16 (half of fp32's
/// memory) and multiplies in bfloat16 with fp32 accumulation; <see cref="Fp32"/> is plain fp32;
/// <see cref="Auto"/> is whichever of the two multiplies faster on the machine that runs the model
/// (decided there, by FedPrompt.Model's AutoPrecision: a server never needs to know).
/// </summary>
public enum Precision { Auto, Fp32, Bf16 }

public static class Precisions
{
    public const string Choices = "auto, bf16 or fp32";

    public static string Name(this Precision precision) => precision switch
    {
        Precision.Auto => "auto",
        Precision.Fp32 => "fp32",
        Precision.Bf16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, null),
    };

    /// <summary>Reads "auto", "bf16" or "fp32"; <paramref name="origin"/> names where the text came from.</summary>
    public static Precision Parse(string text, string origin) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => Precision.Auto,
        "fp32" or "float32" => Precision.Fp32,
        "bf16" or "bfloat16" => Precision.Bf16,
        _ => throw new FormatException($"{origin}: precision \"{text}\" is not one of {Choices}"),
    };
}
