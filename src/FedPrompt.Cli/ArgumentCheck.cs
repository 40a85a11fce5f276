using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace FedPrompt.Cli;

/// <summary>
/// Checks a command line against the commands' options and arguments before Spectre parses it.
/// Spectre's strict parsing refuses an unknown option but suggests nothing, checks required options
/// first (so "--trian" is reported as "--train is required"), and reports a bad number as "Failed to
/// convert 'fast' to Nullable`1" without naming the option. Here the first mistake is named as it
/// was typed, with the closest known name, a value is checked against its option's type and range
/// (a thread count of 0 would otherwise reach libtorch and abort the process), and the required
/// options and arguments missing are named together.
/// </summary>
public static class ArgumentCheck
{
    public static void Check(CommandCatalog commands, IReadOnlyList<string> args)
    {
        var path = "";
        int position = 0;
        var given = new HashSet<string>();
        for (int i = 0; i < args.Count; i++)
        {
            var token = args[i];
            // Help and version are answered whatever else the line holds.
            if (token is "-h" or "--help" or "-?" || (path.Length == 0 && token is "-v" or "--version")) return;
            if (token == "--")
            {
                if (i + 1 < args.Count) throw new ArgumentException($"unexpected argument '{args[i + 1]}' after '--' for '{Command(path)}'");
                return;
            }
            if (token.Length > 1 && token[0] == '-')
            {
                var equals = token.IndexOf('=');
                var name = equals < 0 ? token : token[..equals];
                var options = commands.Options(path);
                var option = options.FirstOrDefault(o => o.Names.Contains(name))
                    ?? throw new ArgumentException(Unknown("option", name, options.SelectMany(o => o.Names).Append("--help"), path));
                given.Add(option.Names[0]);
                if (option.ValueType is null) continue;
                if (equals < 0 && (i + 1 == args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
                    throw new ArgumentException($"{name} needs a value: {name} <{option.ValueName}>");
                CheckValue(name, equals < 0 ? args[++i] : token[(equals + 1)..], option.ValueType, option.Range);
                continue;
            }
            var child = path.Length == 0 ? token : $"{path} {token}";
            if (position == 0 && commands.Contains(child))
            {
                path = child;
                continue;
            }
            var arguments = commands.Arguments(path);
            if (position < arguments.Count)
            {
                CheckValue(arguments[position++].Name, token, arguments[position - 1].ValueType, range: null);
                continue;
            }
            var subcommands = commands.Subcommands(path);
            throw new ArgumentException(subcommands.Count > 0
                ? Unknown("command", token, subcommands, path)
                : $"unexpected argument '{token}': '{Command(path)}' takes {(arguments.Count == 0 ? "no arguments" : string.Join(" ", arguments.Select(a => a.Name)))}");
        }
        // A branch named without its subcommand gets Spectre's help.
        if (commands.Subcommands(path).Count > 0) return;
        var missing = commands.Arguments(path).Skip(position).Where(a => a.Required).Select(a => a.Name)
            .Concat(commands.Options(path).Where(o => o.Required && !given.Contains(o.Names[0])).Select(o => $"{o.Names[0]} <{o.ValueName}>")).ToList();
        if (missing.Count > 0) throw new ArgumentException($"'{Command(path)}' needs {string.Join(", ", missing)} (see '{Command(path)} --help')");
    }

    static string Command(string path) => path.Length == 0 ? "fedprompt" : $"fedprompt {path}";

    static string Unknown(string what, string typed, IEnumerable<string> known, string path)
    {
        var names = known.ToList();
        return ClosestName.Find(typed, names) is { } closest
            ? $"unknown {what} '{typed}' for '{Command(path)}'; did you mean '{closest}'?"
            : $"unknown {what} '{typed}' for '{Command(path)}' (its {what}s: {string.Join(", ", names)})";
    }

    static void CheckValue(string name, string value, Type type, RangeAttribute? range)
    {
        var invariant = CultureInfo.InvariantCulture;
        var valid = type.IsEnum
            ? Enum.GetNames(type).Any(n => n.Equals(value, StringComparison.OrdinalIgnoreCase))
            : Type.GetTypeCode(type) switch
            {
                TypeCode.Int32 => int.TryParse(value, NumberStyles.AllowLeadingSign, invariant, out _),
                TypeCode.Int64 => long.TryParse(value, NumberStyles.AllowLeadingSign, invariant, out _),
                TypeCode.UInt32 => uint.TryParse(value, NumberStyles.None, invariant, out _),
                TypeCode.Double => double.TryParse(value, NumberStyles.Float, invariant, out var number) && double.IsFinite(number),
                _ => true,
            };
        if (!valid) throw new ArgumentException($"{name} {value}: expected {Describe(type)}");
        if (range is not null && !range.IsValid(value)) throw new ArgumentException($"{name} {value}: must be {Describe(range)}");
    }

    static string Describe(RangeAttribute range)
    {
        var above = range.MinimumIsExclusive ? $"above {range.Minimum}" : $"at least {range.Minimum}";
        return Convert.ToDouble(range.Maximum, CultureInfo.InvariantCulture) >= int.MaxValue ? above
            : range.MaximumIsExclusive ? $"{above} and below {range.Maximum}" : $"{above} and at most {range.Maximum}";
    }

    static string Describe(Type type) => type.IsEnum
        ? "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))
        : Type.GetTypeCode(type) switch
        {
            TypeCode.Int32 or TypeCode.Int64 => "a whole number",
            TypeCode.UInt32 => "a whole number ≥ 0",
            _ => "a number",
        };
}
