using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Spectre.Console.Cli;

namespace FedPrompt.Cli;

/// <summary>An option of a command as the user types it: its names, its value's name in the help, the type
/// the value converts to (none for a flag) and the range it must lie in, and whether the command needs it.</summary>
public sealed record OptionInfo(IReadOnlyList<string> Names, string? ValueName, Type? ValueType, RangeAttribute? Range, bool Required);

/// <summary>A positional argument of a command: its name in the help, the type it converts to, and whether the command needs it.</summary>
public sealed record ArgumentInfo(string Name, Type ValueType, bool Required);

/// <summary>
/// Registers every command with Spectre and remembers, per command path ("admin status"), the
/// settings it binds: Spectre keeps its command model to itself, and <see cref="ArgumentCheck"/>
/// needs the options and arguments each command accepts.
/// </summary>
public sealed class CommandCatalog
{
    readonly Dictionary<string, Type> _settings = new() { [""] = typeof(CommandSettings) };

    public void Add<TCommand>(IConfigurator config, string name, string description) where TCommand : class, ICommand
    {
        config.AddCommand<TCommand>(name).WithDescription(description);
        _settings.Add(name, SettingsOf(typeof(TCommand)));
    }

    public void Branch(IConfigurator config, string name, string description, Action<BranchCommands<CommandSettings>> commands) =>
        Branch<CommandSettings>(config, name, description, commands);

    /// <typeparam name="TSettings">Options the branch takes before its subcommand's name (admin --kit DIR status).</typeparam>
    public void Branch<TSettings>(IConfigurator config, string name, string description, Action<BranchCommands<TSettings>> commands) where TSettings : CommandSettings
    {
        _settings.Add(name, typeof(TSettings));
        config.AddBranch<TSettings>(name, branch =>
        {
            branch.SetDescription(description);
            commands(new BranchCommands<TSettings>(this, branch, name));
        });
    }

    public sealed class BranchCommands<TSettings>(CommandCatalog catalog, IConfigurator<TSettings> config, string path) where TSettings : CommandSettings
    {
        public BranchCommands<TSettings> Add<TCommand>(string name, string description) where TCommand : class, ICommandLimiter<TSettings>
        {
            config.AddCommand<TCommand>(name).WithDescription(description);
            catalog._settings.Add($"{path} {name}", SettingsOf(typeof(TCommand)));
            return this;
        }
    }

    public bool Contains(string path) => _settings.ContainsKey(path);

    public IReadOnlyList<string> Subcommands(string path) =>
        _settings.Keys.Where(p => p.Length > 0 && Parent(p) == path).Select(p => p[(p.LastIndexOf(' ') + 1)..]).ToList();

    public IReadOnlyList<OptionInfo> Options(string path) =>
        Properties(path).Select(p => (Property: p, Option: p.GetCustomAttribute<CommandOptionAttribute>())).Where(x => x.Option is not null)
            .Select(x => new OptionInfo(
                [.. x.Option!.LongNames.Select(n => "--" + n), .. x.Option.ShortNames.Select(n => "-" + n)], x.Option.ValueName,
                x.Option.ValueName is null ? null : ValueType(x.Property.PropertyType), x.Property.GetCustomAttribute<RangeAttribute>(),
                x.Option.IsRequired || x.Property.IsDefined(typeof(RequiredAttribute))))
            .ToList();

    public IReadOnlyList<ArgumentInfo> Arguments(string path) =>
        Properties(path).Select(p => (Property: p, Argument: p.GetCustomAttribute<CommandArgumentAttribute>())).Where(x => x.Argument is not null)
            .OrderBy(x => x.Argument!.Position)
            .Select(x => new ArgumentInfo(x.Argument!.ValueName, ValueType(x.Property.PropertyType), x.Argument.IsRequired))
            .ToList();

    IEnumerable<PropertyInfo> Properties(string path) => _settings[path].GetProperties(BindingFlags.Public | BindingFlags.Instance);

    static string Parent(string path) => path.Contains(' ') ? path[..path.LastIndexOf(' ')] : "";

    static Type ValueType(Type property) => property.IsArray ? property.GetElementType()! : Nullable.GetUnderlyingType(property) ?? property;

    static Type SettingsOf(Type command) => command.GetInterfaces()
        .Single(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ICommand<>)).GetGenericArguments()[0];
}
