using System.Text;
using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Rest;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

public sealed class RestAuthTests : RestTestBase, IDisposable
{
    const string Token = "tok-S3cr3t-9f8e7d";
    const string Password = "pw-S3cr3t-1a2b3c";

    readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    /// <summary>Everything the store does, so each request kind carries (or must not leak) the credentials.</summary>
    async Task ExerciseEverythingAsync(RestTrackingStore store)
    {
        var experiment = await store.CreateExperimentAsync("exp", [], default);
        await store.GetExperimentByNameAsync("exp", default);
        var run = await store.CreateRunAsync(experiment, "run", RestFixture.T0, [new Tag("k", "v")], default);
        await store.LogBatchAsync(run.RunId, [new Metric("m", 1, RestFixture.T0, 0)], [new Param("p", "1")], [], default);
        await store.LogInputsAsync(run.RunId, [new DatasetInput(new Dataset("d", "1", "local", "{}", null, null), [])], default);
        await store.GetMetricHistoryAsync(run.RunId, "m", default);
        await File.WriteAllTextAsync(_file, "model");
        await store.LogArtifactAsync(run.RunId, _file, "model/MLmodel", default);
        await store.ListArtifactsAsync(run.RunId, null, default);
        await store.FindRunsByTagAsync(experiment, "k", "v", default);
        await store.UpdateRunAsync(run.RunId, RunStatus.Finished, RestFixture.T0 + 1, default);
        await store.GetRunAsync(run.RunId, default);
        await store.CreateRegisteredModelAsync("model", default);
        await store.GetRegisteredModelAsync("model", default);
        var version = await store.CreateModelVersionAsync("model", run.RunId, "model", [], default);
        await store.GetModelVersionAsync("model", version.Version, default);
        await store.SetAliasAsync("model", "champion", version.Version, default);
        await store.GetModelVersionByAliasAsync("model", "champion", default);
        await store.DeleteAliasAsync("model", "champion", default);
    }

    [Fact]
    public async Task A_token_is_sent_as_bearer_on_every_request_and_nowhere_else()
    {
        F.Server.RequiredAuthorization = "Bearer " + Token;
        F.Environment[RestTrackingOptions.TokenVariable] = Token;

        await ExerciseEverythingAsync(F.Store);

        Assert.Equal(19, F.Server.Requests.Count);
        Assert.All(F.Server.Requests, r => Assert.Equal("Bearer " + Token, r.Authorization));
        Assert.All(F.Server.Requests, r => Assert.DoesNotContain(Token, r.ToString(), StringComparison.Ordinal));
        Assert.Contains(F.Server.Requests, r => r.Method == "PUT");
        Assert.Contains(F.Server.Requests, r => r.Method == "DELETE");
    }

    [Fact]
    public async Task Username_and_password_are_sent_as_basic_even_with_a_token()
    {
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + Password));
        F.Server.RequiredAuthorization = basic;
        F.Environment[RestTrackingOptions.UsernameVariable] = "alice";
        F.Environment[RestTrackingOptions.PasswordVariable] = Password;
        F.Environment[RestTrackingOptions.TokenVariable] = Token;

        await ExerciseEverythingAsync(F.Store);

        Assert.All(F.Server.Requests, r => Assert.Equal(basic, r.Authorization));
        Assert.All(F.Server.Requests, r => Assert.DoesNotContain(Password, r.ToString(), StringComparison.Ordinal));
        Assert.All(F.Server.Requests, r => Assert.DoesNotContain(Token, r.ToString() + r.Authorization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrong_credentials_are_unauthenticated_and_the_message_holds_no_secret()
    {
        F.Server.RequiredAuthorization = "Bearer the-right-one";
        F.Environment[RestTrackingOptions.TokenVariable] = Token;

        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateExperimentAsync("exp", [], default));

        Assert.Equal("UNAUTHENTICATED", error.ErrorCode);
        Assert.Equal(401, error.HttpStatus);
        Assert.False(error.Transient);
        Assert.Contains("You are not authenticated", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, error.ToString(), StringComparison.Ordinal);
        Assert.Single(F.Server.Requests);
    }

    [Fact]
    public async Task Connection_errors_hold_no_secret_either()
    {
        F.Environment[RestTrackingOptions.TokenVariable] = Token;
        F.Environment[RestTrackingOptions.MaxRetriesVariable] = "0";
        F.Server.Inject(ServerFault.DropBeforeHandling());
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateExperimentAsync("exp", [], default));
        Assert.Equal(RestErrorCodes.ConnectionError, error.ErrorCode);
        Assert.DoesNotContain(Token, error.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>A tracking URI with a path prefix, as behind a reverse proxy.</summary>
public sealed class RestPathPrefixTests : RestTestBase
{
    private protected override string PathPrefix => "/mlflow";

    [Fact]
    public async Task Every_request_goes_under_the_prefix()
    {
        F.Environment[RestTrackingOptions.TrackingUriVariable] = F.Server.BaseUri.AbsoluteUri + "/";
        var file = Path.GetTempFileName();
        try
        {
            var (experiment, run) = await F.NewRunAsync();
            await File.WriteAllBytesAsync(file, [1, 2]);
            await F.Store.LogArtifactAsync(run.RunId, file, "model/MLmodel", default);
            await F.Store.ListArtifactsAsync(run.RunId, null, default);

            Assert.All(F.Server.Requests, r => Assert.StartsWith("/mlflow/api/2.0/", r.FullPath, StringComparison.Ordinal));
            // All answered by routes (the first lookup finds no experiment: a JSON 404, not the HTML one).
            Assert.All(F.Server.Requests, r => Assert.Equal(r.Path.EndsWith("/get-by-name", StringComparison.Ordinal) ? 404 : 200, r.Status));
            Assert.Equal([1, 2], F.Server.Artifact($"{experiment}/{run.RunId}/artifacts/model/MLmodel"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Without_the_prefix_the_server_answers_html_404_which_becomes_endpoint_not_found()
    {
        var store = F.CreateStore(new Dictionary<string, string> { [RestTrackingOptions.TrackingUriVariable] = $"http://{F.Server.Authority}" });
        var error = await Assert.ThrowsAsync<TrackingException>(() => store.CreateExperimentAsync("exp", [], default));
        Assert.Equal("ENDPOINT_NOT_FOUND", error.ErrorCode);
        Assert.Equal(404, error.HttpStatus);
        Assert.Contains("POST /mlflow/experiments/create answered HTTP 404 Not Found", error.Message, StringComparison.Ordinal);
        Assert.Contains("text/html", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("<", error.Message, StringComparison.Ordinal);
    }
}
