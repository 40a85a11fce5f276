using System.ComponentModel;
using System.Globalization;
using FedPrompt.Model.Pretraining;

namespace FedPrompt.Cli.Commands.Pretrain;

/// <summary>A pretrain option's description ending with its default, read from <see cref="PretrainingOptions"/>
/// so that the help cannot drift from the defaults the engine uses.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PretrainingDefaultAttribute(string description, string option)
    : DescriptionAttribute($"{description} (default {DefaultOf(option)})")
{
    static string DefaultOf(string option) =>
        Convert.ToString(typeof(PretrainingOptions).GetProperty(option)!.GetValue(new PretrainingOptions()), CultureInfo.InvariantCulture)!;
}
