using Runtime.Agent.Hosting;
using Xunit;

namespace Runtime.Tests.Agent;

public sealed class AgentArgumentsTests
{
    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void The_command_line_gives_every_setting()
    {
        var (settings, error) = AgentArguments.Parse(
            ["--api", "https://runtime.example.com/base", "--environment", "edge", "--token=re_abc", "--data-dir", "/var/lib/agent", "--advertise-host", "10.0.0.5"],
            Environment());

        Assert.Null(error);
        Assert.Equal(new Uri("https://runtime.example.com/base/"), settings!.Api);
        Assert.Equal("https://runtime.example.com/base", settings.ApiUrl);
        Assert.Equal("edge", settings.Environment);
        Assert.Equal("re_abc", settings.Token);
        Assert.Equal("/var/lib/agent", settings.DataDirectory);
        Assert.Equal("10.0.0.5", settings.AdvertiseHost);
        Assert.Equal("0.0.0.0", settings.ForRunner(Guid.Empty).BindHost);
        Assert.Equal("http://10.0.0.5:8123", settings.ForRunner(Guid.Empty).Address(8123));
        Assert.Null(settings.HeartbeatInterval);
    }

    [Fact]
    public void Environment_variables_stand_in_for_missing_options_and_the_defaults_fill_the_rest()
    {
        var (settings, error) = AgentArguments.Parse(["--environment", "from-args"], Environment(
            ("RUNTIME_AGENT_API", "http://127.0.0.1:5000"),
            ("RUNTIME_AGENT_ENVIRONMENT", "from-env"),
            ("RUNTIME_AGENT_TOKEN", "re_env"),
            ("RUNTIME_AGENT_HEARTBEAT_SECONDS", "0.5")));

        Assert.Null(error);
        Assert.Equal("from-args", settings!.Environment);
        Assert.Equal("re_env", settings.Token);
        Assert.Equal(Path.GetFullPath(".runtime-agent"), settings.DataDirectory);
        Assert.Equal("127.0.0.1", settings.AdvertiseHost);
        Assert.Equal("127.0.0.1", settings.ForRunner(Guid.Empty).BindHost);
        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.HeartbeatInterval);
        Assert.Equal("http://127.0.0.1:5000/", settings.Api.ToString());
    }

    [Fact]
    public void Every_problem_is_named_on_one_line()
    {
        var (settings, error) = AgentArguments.Parse(["--api", "ftp://example.com", "--verbose", "--token"], Environment());

        Assert.Null(settings);
        Assert.NotNull(error);
        Assert.DoesNotContain('\n', error);
        Assert.Contains("unknown argument '--verbose'", error);
        Assert.Contains("--token needs a value", error);
        Assert.Contains("--api must be an http(s) URL", error);
        Assert.Contains("--environment (RUNTIME_AGENT_ENVIRONMENT) is required", error);
        Assert.Contains("--token (RUNTIME_AGENT_TOKEN) is required", error);
    }

    [Theory]
    [InlineData("RUNTIME_AGENT_HEARTBEAT_SECONDS", "soon", "RUNTIME_AGENT_HEARTBEAT_SECONDS must be a number")]
    [InlineData("RUNTIME_AGENT_HEARTBEAT_SECONDS", "-1", "RUNTIME_AGENT_HEARTBEAT_SECONDS must be a number")]
    [InlineData("RUNTIME_AGENT_ADVERTISE_HOST", "bad host!", "--advertise-host must be a host name or an IP address")]
    [InlineData("RUNTIME_AGENT_TOKEN", "re_a b", "--token must not hold spaces")]
    public void Invalid_values_are_refused(string variable, string value, string expected)
    {
        var variables = new Dictionary<string, string>
        {
            ["RUNTIME_AGENT_API"] = "http://localhost:5000",
            ["RUNTIME_AGENT_ENVIRONMENT"] = "edge",
            ["RUNTIME_AGENT_TOKEN"] = "re_ok",
            [variable] = value,
        };

        var (_, error) = AgentArguments.Parse([], name => variables.GetValueOrDefault(name));

        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData("localhost", "127.0.0.1")]
    [InlineData("::1", "127.0.0.1")]
    [InlineData("agent-7.internal", "0.0.0.0")]
    public void Apps_listen_on_loopback_only_when_the_Api_reaches_them_there(string advertise, string bind)
    {
        var (settings, _) = AgentArguments.Parse(["--api", "http://api:8080", "--environment", "e", "--token", "t", "--advertise-host", advertise], Environment());
        Assert.Equal(bind, settings!.ForRunner(Guid.Empty).BindHost);
    }

    [Fact]
    public void An_IPv6_advertise_host_is_bracketed_in_app_addresses()
    {
        var (settings, _) = AgentArguments.Parse(["--api", "http://api:8080", "--environment", "e", "--token", "t", "--advertise-host", "fd00::5"], Environment());
        Assert.Equal("http://[fd00::5]:9000", settings!.ForRunner(Guid.Empty).Address(9000));
    }
}
