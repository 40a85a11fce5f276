using System.ComponentModel;
using FedPrompt.Federation.Provisioning;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Federation;

/// <summary>Creates a project's CA and a startup kit (certificate, key, CA, server address, start script) per participant.</summary>
public sealed class ProvisionCommand : Command<ProvisionCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--project <FILE>", isRequired: true)] [Description("project.json: name, server {name, host, port}, sites, admins")] public string Project { get; init; } = "";
        [CommandOption("--out <DIR>", isRequired: true)] [Description("Where the kits go (must not exist or be empty)")] public string Out { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var project = ProjectDefinition.Load(settings.Project);
        Provisioner.Provision(project, settings.Out);
        AnsiConsole.MarkupLine($"project {Markup.Escape(project.Name)}: CA in {Markup.Escape(Path.Combine(settings.Out, Provisioner.CaFolderName))} (keep its key private)");
        foreach (var (name, role) in project.Participants)
            AnsiConsole.MarkupLine($"  {role.ToText(),-6} {Markup.Escape(name),-24} → {Markup.Escape(Path.Combine(settings.Out, name))}");
        return 0;
    }
}
