namespace MlOps.Pipelines.Tests;

public sealed class Secrets : IDisposable
{
    const string Token = "s3cr3t-T0ken-value";
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void A_secret_logged_or_printed_by_a_target_is_masked()
    {
        var result = _harness.Run(new PipelineHost().Add<Parameterised>(), "Deploy", "--registry-token", Token);
        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain(Token, result.All);
        Assert.Contains("deploying with token ***", result.Out);
        Assert.Contains("console: token=***", result.Out);
        // Written in two pieces, the secret is still masked once the line is complete.
        Assert.Contains("split: ***", result.Out);
    }

    [Fact]
    public void A_secret_in_a_failure_message_and_the_github_summary_is_masked()
    {
        var summary = Path.Combine(_harness.Root, "summary.md");
        _harness.Environment["GITHUB_ACTIONS"] = "true";
        _harness.Environment["GITHUB_STEP_SUMMARY"] = summary;
        _harness.Environment["REGISTRY_TOKEN"] = Token;
        var result = _harness.Run(new PipelineHost().Add<Parameterised>(), "Leak");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("bad token ***", result.Out);
        Assert.DoesNotContain(Token, result.All);
        Assert.DoesNotContain(Token, File.ReadAllText(summary));
    }

    [Fact]
    public void Help_never_shows_a_secret_value()
    {
        _harness.WriteParameters($$"""{ "RegistryToken": "{{Token}}" }""");
        var result = _harness.Run(new PipelineHost().Add<Parameterised>(), "--help");
        Assert.DoesNotContain(Token, result.All);
        Assert.Matches(@"--registry-token <string>\s+Registry token\s+= \*\*\* \(secret\) \(\.nuke/parameters\.json\)", result.Out);
    }

    [Fact]
    public void A_secret_that_does_not_convert_is_not_echoed()
    {
        var result = _harness.Run(new PipelineHost().Add<SecretNumber>(), "Show", "--pin", "12ab-secret");
        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("12ab-secret", result.All);
        Assert.Contains("Parameter 'Pin' (from command line --pin): '***' is not valid; expected int.", result.Error);
    }

    sealed class SecretNumber : MlPipeline
    {
        [Parameter("A numeric secret")][Secret] readonly int Pin;

        public Target Show => _ => _.Executes(c => c.Info(Pin.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
