namespace SignalEngine.LoadTests.Tests;

public sealed class LoadOptionsTests
{
    private static LoadOptions Parse(params string[] args) => LoadOptionsParser.Parse(args, _ => null);

    [Theory]
    [InlineData("60s", 60)]
    [InlineData("2m", 120)]
    [InlineData("1m30s", 90)]
    [InlineData("500ms", 0.5)]
    [InlineData("90", 90)]
    public void Times_accept_seconds_minutes_and_combinations(string text, double seconds) =>
        Assert.Equal(seconds, LoadOptionsParser.Time("duration", text, allowZero: false).TotalSeconds);

    [Theory]
    [InlineData("--worksapces", "did you mean --workspaces?")]
    [InlineData("--rate=fast", "--rate: 'fast' is not 'max' or a whole number")]
    [InlineData("--duration=0s", "--duration: '0s' must be more than 0")]
    [InlineData("--format=xml", "--format: 'xml' is not 'msgpack' or 'json'")]
    [InlineData("--batch", "--batch: missing value")]
    public void Bad_options_name_the_option_and_the_problem(string arg, string expected)
    {
        var error = Assert.Throws<OptionsException>(() => Parse("--api-key", "k", arg));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Api_key_is_required_unless_self_hosting_or_in_the_environment()
    {
        Assert.Contains("no API key", Assert.Throws<OptionsException>(() => Parse()).Message, StringComparison.Ordinal);
        Assert.Null(Parse("--self-host", "memory").ApiKey);
        Assert.Equal("from-env", LoadOptionsParser.Parse([], name => name == "SIGNALENGINE_API_KEY" ? "from-env" : null).ApiKey);
    }

    [Fact]
    public void Command_line_overrides_a_yaml_scenario()
    {
        var path = Path.Combine(Path.GetTempPath(), $"scenario-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "workspaces: 100\nusersPerWorkspace: 7\nduration: 2m\nformat: json\nverify: true\ntarget:\n  - http://127.0.0.1:1/\n  - http://localhost:2\n");
        try
        {
            var options = Parse("--scenario", path, "--workspaces", "5", "--api-key", "k");
            Assert.Equal(5, options.Workspaces);
            Assert.Equal(7, options.UsersPerWorkspace);
            Assert.Equal(TimeSpan.FromMinutes(2), options.Duration);
            Assert.Equal(BodyFormat.Json, options.Format);
            Assert.True(options.Verify);
            Assert.Equal(["http://127.0.0.1:1/", "http://localhost:2/"], options.Targets.Select(t => t.ToString()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Unknown_scenario_keys_are_errors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"scenario-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"workspace": 5}""");
        try
        {
            var error = Assert.Throws<OptionsException>(() => Parse("--scenario", path, "--api-key", "k"));
            Assert.Contains("unknown option 'workspace' (did you mean --workspaces?)", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
