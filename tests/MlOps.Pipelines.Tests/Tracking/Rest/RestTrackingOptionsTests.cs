using System.Text;
using MlOps.Pipelines.Tracking.Rest;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

public sealed class RestTrackingOptionsTests
{
    const string Uri = "http://ml:5000";

    static RestTrackingOptions Read(params (string Key, string Value)[] variables)
    {
        var environment = variables.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
        environment.TryAdd(RestTrackingOptions.TrackingUriVariable, Uri);
        return RestTrackingOptions.FromEnvironment(environment);
    }

    [Fact]
    public void Defaults_are_mlflows()
    {
        var options = Read();
        Assert.Equal("http://ml:5000", options.Location);
        Assert.Equal(7, options.MaxRetries);
        Assert.Equal(2, options.BackoffFactor);
        Assert.Equal(1.0, options.BackoffJitter);
        Assert.Equal(TimeSpan.FromSeconds(120), options.Timeout);
        Assert.True(options.RespectRetryAfter);
        Assert.False(options.InsecureTls);
        Assert.Null(options.Authorization);
    }

    [Fact]
    public void Every_variable_is_read()
    {
        var options = Read(
            (RestTrackingOptions.MaxRetriesVariable, "3"),
            (RestTrackingOptions.BackoffFactorVariable, "0.5"),
            (RestTrackingOptions.BackoffJitterVariable, "0"),
            (RestTrackingOptions.TimeoutVariable, "30"),
            (RestTrackingOptions.InsecureTlsVariable, "TRUE"),
            (RestTrackingOptions.RespectRetryAfterVariable, "false"));
        Assert.Equal(3, options.MaxRetries);
        Assert.Equal(0.5, options.BackoffFactor);
        Assert.Equal(0, options.BackoffJitter);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Timeout);
        Assert.True(options.InsecureTls);
        Assert.False(options.RespectRetryAfter);
    }

    [Theory]
    [InlineData("http://ml:5000/", "http://ml:5000")]
    [InlineData("https://host/mlflow/", "https://host/mlflow")]
    [InlineData("https://host/a/b", "https://host/a/b")]
    [InlineData("  http://ml:5000  ", "http://ml:5000")]
    public void The_uri_keeps_its_path_prefix_without_trailing_slash(string value, string location)
    {
        var options = Read((RestTrackingOptions.TrackingUriVariable, value));
        Assert.Equal(location, options.Location);
    }

    [Theory]
    [InlineData(RestTrackingOptions.MaxRetriesVariable, "10")]
    [InlineData(RestTrackingOptions.MaxRetriesVariable, "-1")]
    [InlineData(RestTrackingOptions.MaxRetriesVariable, "2.5")]
    [InlineData(RestTrackingOptions.MaxRetriesVariable, "many")]
    [InlineData(RestTrackingOptions.BackoffFactorVariable, "120")]
    [InlineData(RestTrackingOptions.BackoffFactorVariable, "-1")]
    [InlineData(RestTrackingOptions.BackoffFactorVariable, "NaN")]
    [InlineData(RestTrackingOptions.BackoffJitterVariable, "-0.5")]
    [InlineData(RestTrackingOptions.BackoffJitterVariable, "x")]
    [InlineData(RestTrackingOptions.TimeoutVariable, "0")]
    [InlineData(RestTrackingOptions.TimeoutVariable, "1e9")]
    [InlineData(RestTrackingOptions.TimeoutVariable, "2m")]
    [InlineData(RestTrackingOptions.InsecureTlsVariable, "yes")]
    [InlineData(RestTrackingOptions.RespectRetryAfterVariable, "maybe")]
    public void Invalid_values_name_the_variable(string variable, string value)
    {
        var error = Assert.Throws<RestTrackingConfigurationException>(() => Read((variable, value)));
        Assert.StartsWith(variable + " must be", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("file:///tmp/mlruns")]
    [InlineData("./mlruns")]
    [InlineData("sqlite:///mlflow.db")]
    [InlineData("databricks")]
    [InlineData("http://")]
    public void The_uri_must_be_an_http_server(string? value)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (value is not null) environment[RestTrackingOptions.TrackingUriVariable] = value;
        var error = Assert.Throws<RestTrackingConfigurationException>(() => RestTrackingOptions.FromEnvironment(environment));
        Assert.StartsWith(RestTrackingOptions.TrackingUriVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_in_the_uri_are_refused_without_being_echoed()
    {
        var error = Assert.Throws<RestTrackingConfigurationException>(() => Read((RestTrackingOptions.TrackingUriVariable, "https://alice:hunter2@ml.example.com")));
        Assert.Contains(RestTrackingOptions.TrackingUriVariable, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_gives_bearer_authentication()
    {
        var options = Read((RestTrackingOptions.TokenVariable, "tok-123"));
        Assert.Equal("Bearer", options.Authorization!.Scheme);
        Assert.Equal("tok-123", options.Authorization.Parameter);
    }

    [Fact]
    public void Username_and_password_give_basic_authentication_and_win_over_a_token()
    {
        foreach (var withToken in new[] { false, true })
        {
            var variables = new List<(string, string)> { (RestTrackingOptions.UsernameVariable, "alice"), (RestTrackingOptions.PasswordVariable, "p@ss:wörd") };
            if (withToken) variables.Add((RestTrackingOptions.TokenVariable, "tok-123"));
            var options = Read([.. variables]);
            Assert.Equal("Basic", options.Authorization!.Scheme);
            Assert.Equal("alice:p@ss:wörd", Encoding.UTF8.GetString(Convert.FromBase64String(options.Authorization.Parameter!)));
        }
    }

    [Fact]
    public void A_username_without_password_falls_back_to_the_token_or_is_an_error()
    {
        Assert.Equal("Bearer", Read((RestTrackingOptions.UsernameVariable, "alice"), (RestTrackingOptions.TokenVariable, "t")).Authorization!.Scheme);
        var error = Assert.Throws<RestTrackingConfigurationException>(() => Read((RestTrackingOptions.UsernameVariable, "alice")));
        Assert.Contains(RestTrackingOptions.PasswordVariable, error.Message, StringComparison.Ordinal);
        error = Assert.Throws<RestTrackingConfigurationException>(() => Read((RestTrackingOptions.PasswordVariable, "secret-pw")));
        Assert.DoesNotContain("secret-pw", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_certificate_variables_are_reported_rather_than_ignored()
    {
        var error = Assert.Throws<RestTrackingConfigurationException>(() => Read((RestTrackingOptions.ServerCertVariable, "/etc/ca.pem")));
        Assert.StartsWith(RestTrackingOptions.ServerCertVariable, error.Message, StringComparison.Ordinal);
        error = Assert.Throws<RestTrackingConfigurationException>(() => Read((RestTrackingOptions.ClientCertVariable, "/etc/client.pem")));
        Assert.StartsWith(RestTrackingOptions.ClientCertVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_shows_the_scheme_never_the_secret()
    {
        var options = Read((RestTrackingOptions.TokenVariable, "tok-secret-123"));
        Assert.Equal("http://ml:5000 (auth: Bearer)", options.ToString());
        options = Read((RestTrackingOptions.UsernameVariable, "alice"), (RestTrackingOptions.PasswordVariable, "pw-secret"));
        Assert.DoesNotContain("pw-secret", options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(options.Authorization!.Parameter!, options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_lookup_function_works_as_well_and_empty_means_unset()
    {
        var options = RestTrackingOptions.FromEnvironment(name => name switch
        {
            RestTrackingOptions.TrackingUriVariable => Uri,
            RestTrackingOptions.MaxRetriesVariable => "",
            _ => null,
        });
        Assert.Equal(7, options.MaxRetries);
    }
}
