using System.Text.Json.Nodes;
using FedPrompt.Federation.Provisioning;
using FedPrompt.Testing;

namespace FedPrompt.Federation.Tests.Provisioning;

public sealed class ProjectDefinitionTests
{
    const string ValidProject = """
        {"name": "fedprompt-fpb", "server": {"name": "server", "host": "localhost", "port": 8443},
         "sites": ["site-1", "site-2", "site-3"], "admins": ["admin@example.org"], "validity_days": 365}
        """;

    [Fact]
    public void LoadsTheProjectFile()
    {
        using var folder = new TemporaryDirectory();

        var project = ProjectDefinition.Load(folder.Write("project.json", ValidProject));

        Assert.Equal("fedprompt-fpb", project.Name);
        Assert.Equal(new ServerDefinition("server", "localhost", 8443), project.Server);
        Assert.Equal(["site-1", "site-2", "site-3"], project.Sites);
        Assert.Equal(["admin@example.org"], project.Admins);
        Assert.Equal(365, project.ValidityDays);
        Assert.Equal(
            [("server", ParticipantRole.Server), ("site-1", ParticipantRole.Site), ("site-2", ParticipantRole.Site),
             ("site-3", ParticipantRole.Site), ("admin@example.org", ParticipantRole.Admin)],
            project.Participants);
    }

    [Fact]
    public void AdminsMayBeOmitted()
    {
        using var folder = new TemporaryDirectory();

        var project = ProjectDefinition.Load(folder.Write("project.json", Edit("admins", null)));

        Assert.Empty(project.Admins);
    }

    [Fact]
    public void ValidityDefaultsToAYear()
    {
        using var folder = new TemporaryDirectory();

        var project = ProjectDefinition.Load(folder.Write("project.json", Edit("validity_days", null)));

        Assert.Equal(ProjectDefinition.DefaultValidityDays, project.ValidityDays);
    }

    // Each case replaces the value at a key of the valid project (null removes the key) and expects an
    // error that names the key.
    [Theory]
    [InlineData("site", """["site-1"]""", "at $.site (line 1): unknown key \"site\"")]
    [InlineData("server.address", "\"10.0.0.1\"", "at $.server.address (line 1): unknown key \"address\"")]
    [InlineData("sites", null, "missing 'sites'")]
    [InlineData("server.host", null, "at $.server (line 1): missing 'host'")]
    [InlineData("name", "7", "at $.name (line 1): expected a string")]
    [InlineData("server", "\"server\"", "at $.server (line 1): expected an object")]
    [InlineData("server.port", "\"8443\"", "at $.server.port (line 1): expected a whole number")]
    [InlineData("validity_days", "1.5", "at $.validity_days (line 1): expected a whole number")]
    [InlineData("sites", "\"site-1\"", "at $.sites (line 1): expected a list of strings")]
    [InlineData("sites", """["site-1", 2]""", "at $.sites[1] (line 1): expected a string")]
    [InlineData("admins", "null", "at $.admins (line 1): \"admins\" may not be null")]
    [InlineData("sites", "[]", "\"sites\" must name at least one site")]
    [InlineData("sites", """["site-1", "Site-1"]""", "\"sites[1]\" repeats the name \"Site-1\" of \"sites[0]\"")]
    [InlineData("sites", """["server"]""", "\"sites[0]\" repeats the name \"server\" of \"server.name\"")]
    [InlineData("admins", """["site-1"]""", "\"admins[0]\" repeats the name \"site-1\" of \"sites[0]\"")]
    [InlineData("sites", """["CA"]""", "\"sites[0]\" must not be \"CA\"")]
    [InlineData("sites", """["../site-1"]""", "\"sites[0]\" must be 1 to 64 letters")]
    [InlineData("sites", """["site 1"]""", "\"sites[0]\" must be 1 to 64 letters")]
    [InlineData("admins", """[""]""", "\"admins[0]\" must be 1 to 64 letters")]
    [InlineData("server.name", "\"server.\"", "\"server.name\" must be 1 to 64 letters")]
    [InlineData("name", "\"fed prompt\"", "\"name\" must be 1 to 64 letters")]
    [InlineData("server.host", "\"bad host\"", "\"server.host\" must be a DNS name")]
    [InlineData("server.host", "\"1\"", "\"server.host\" must be a DNS name")]
    [InlineData("server.port", "0", "\"server.port\" must be from 1 to 65535 (found 0)")]
    [InlineData("server.port", "65536", "\"server.port\" must be from 1 to 65535 (found 65536)")]
    [InlineData("validity_days", "0", "\"validity_days\" must be from 1 to 3650 (found 0)")]
    public void RefusesABadValueNamingFileAndKey(string key, string? json, string expected)
    {
        using var folder = new TemporaryDirectory();
        string path = folder.Write("project.json", Edit(key, json));

        var error = Assert.Throws<InvalidDataException>(() => ProjectDefinition.Load(path));

        Assert.StartsWith($"{path}: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("{\"name\": ", "not valid JSON")]
    [InlineData("""{"name": "a", "name": "b"}""", "not valid JSON")]
    [InlineData("""["fedprompt-fpb"]""", "invalid (line 1): expected an object")]
    public void RefusesAFileThatIsNotAJsonObject(string content, string expected)
    {
        using var folder = new TemporaryDirectory();
        string path = folder.Write("project.json", content);

        var error = Assert.Throws<InvalidDataException>(() => ProjectDefinition.Load(path));

        Assert.StartsWith($"{path}: {expected}", error.Message);
    }

    [Fact]
    public void TheConstructorAppliesTheSameRules()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new ProjectDefinition("p", new ServerDefinition("server", "localhost", 8443), ["site-1", "server"], null, 30));

        Assert.Contains("\"sites[1]\" repeats the name \"server\"", error.Message);
    }

    static string Edit(string key, string? json)
    {
        var root = JsonNode.Parse(ValidProject)!.AsObject();
        string[] path = key.Split('.');
        var parent = path[..^1].Aggregate(root, (node, part) => node[part]!.AsObject());
        if (json is null) parent.Remove(path[^1]);
        else parent[path[^1]] = JsonNode.Parse(json);
        return root.ToJsonString();
    }
}
