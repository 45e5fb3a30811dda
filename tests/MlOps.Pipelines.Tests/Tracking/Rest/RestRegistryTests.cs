using MlOps.Pipelines.Tracking;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

/// <summary>Spec §4: registered models, versions and aliases.</summary>
public sealed class RestRegistryTests : RestTestBase
{
    [Fact]
    public async Task A_registered_model_is_created_once()
    {
        Assert.Null(await F.Store.GetRegisteredModelAsync("model", default));
        var created = await F.Store.CreateRegisteredModelAsync("model", default);
        Assert.Equal("model", created.Name);
        Assert.True(created.CreationTimestamp > 0);
        Assert.Empty(created.Aliases);
        Assert.Empty(created.Tags);
        var read = await F.Store.GetRegisteredModelAsync("model", default);
        Assert.Equal((created.Name, created.CreationTimestamp, created.LastUpdatedTimestamp), (read!.Name, read.CreationTimestamp, read.LastUpdatedTimestamp));

        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateRegisteredModelAsync("model", default));
        Assert.Equal("RESOURCE_ALREADY_EXISTS", error.ErrorCode);
        Assert.Equal(400, error.HttpStatus);
        Assert.Equal("Registered Model (name=model) already exists.", error.Message);
    }

    [Fact]
    public async Task A_version_points_at_the_runs_model_directory()
    {
        var (experiment, run) = await F.NewRunAsync();
        await F.Store.CreateRegisteredModelAsync("model", default);

        var v1 = await F.Store.CreateModelVersionAsync("model", run.RunId, "model", [new Tag("git", "abc")], default);
        var v2 = await F.Store.CreateModelVersionAsync("model", run.RunId, "model/", [], default);

        Assert.Equal("1", v1.Version);
        Assert.Equal("2", v2.Version);
        Assert.Equal($"mlflow-artifacts:/{experiment}/{run.RunId}/artifacts/model", v1.Source);
        Assert.Equal(v1.Source, v2.Source);
        Assert.Equal(run.RunId, v1.RunId);
        Assert.Equal("READY", v1.Status);
        Assert.Equal([new Tag("git", "abc")], v1.Tags);
        var body = RestFixture.BodyOf(F.Last("/model-versions/create"));
        Assert.Equal(["name", "run_id", "source"], body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var read = await F.Store.GetModelVersionAsync("model", "1", default);
        Assert.Equal((v1.Name, v1.Version, v1.CreationTimestamp, v1.Source, v1.RunId, v1.Status), (read.Name, read.Version, read.CreationTimestamp, read.Source, read.RunId, read.Status));
        Assert.Equal(v1.Tags, read.Tags);
        Assert.Empty(read.Aliases);
    }

    [Fact]
    public async Task A_version_of_a_run_with_file_artifacts_still_gets_its_source()
    {
        F.Server.DefaultArtifactRoot = "file:///srv/mlruns";
        var (experiment, run) = await F.NewRunAsync();
        await F.Store.CreateRegisteredModelAsync("model", default);
        var version = await F.Store.CreateModelVersionAsync("model", run.RunId, "model", [], default);
        Assert.Equal($"file:///srv/mlruns/{experiment}/{run.RunId}/artifacts/model", version.Source);
    }

    [Fact]
    public async Task Versions_are_found_by_model_and_run()
    {
        var (_, run) = await F.NewRunAsync();
        var (_, other) = await F.NewRunAsync(runName: "other");
        await F.Store.CreateRegisteredModelAsync("model", default);
        await F.Store.CreateRegisteredModelAsync("model-b", default);
        await F.Store.CreateModelVersionAsync("model", run.RunId, "model", [new Tag("attempt", "a1")], default);
        await F.Store.CreateModelVersionAsync("model", other.RunId, "model", [], default);
        await F.Store.CreateModelVersionAsync("model", run.RunId, "model", [], default);
        await F.Store.CreateModelVersionAsync("model-b", run.RunId, "model", [], default);

        var found = await F.Store.FindModelVersionsAsync("model", run.RunId, default);

        Assert.Equal(["1", "3"], found.Select(v => v.Version));
        Assert.All(found, v => Assert.Equal(("model", run.RunId), (v.Name, v.RunId)));
        Assert.Equal([new Tag("attempt", "a1")], found[0].Tags);
        Assert.Equal(["2"], (await F.Store.FindModelVersionsAsync("model", other.RunId, default)).Select(v => v.Version));
        var search = F.Server.Requests.First(r => r.Path.EndsWith("/model-versions/search", StringComparison.Ordinal));
        Assert.Equal("GET", search.Method);
        Assert.Equal($"?filter=run_id%20%3D%20%27{run.RunId}%27&max_results=1000", search.Query);
    }

    [Fact]
    public async Task No_versions_of_a_run_or_of_a_missing_model_is_an_empty_list()
    {
        var (_, run) = await F.NewRunAsync();
        var (_, other) = await F.NewRunAsync(runName: "other");
        await F.Store.CreateRegisteredModelAsync("model", default);
        await F.Store.CreateModelVersionAsync("model", other.RunId, "model", [], default);

        Assert.Empty(await F.Store.FindModelVersionsAsync("model", run.RunId, default));
        Assert.Empty(await F.Store.FindModelVersionsAsync("nope", other.RunId, default));
        Assert.All(F.Server.Requests.Where(r => r.Path.EndsWith("/model-versions/search", StringComparison.Ordinal)), r => Assert.Equal(200, r.Status));
        Assert.Equal(2, F.Server.Count("/model-versions/search"));
    }

    [Fact]
    public async Task Version_search_follows_page_tokens()
    {
        F.Server.PageSize = 2;
        var (_, run) = await F.NewRunAsync();
        await F.Store.CreateRegisteredModelAsync("model", default);
        await F.Store.CreateRegisteredModelAsync("other", default);
        for (var i = 0; i < 3; i++) await F.Store.CreateModelVersionAsync("model", run.RunId, "model", [], default);
        for (var i = 0; i < 2; i++) await F.Store.CreateModelVersionAsync("other", run.RunId, "model", [], default);

        var found = await F.Store.FindModelVersionsAsync("model", run.RunId, default);

        Assert.Equal(["1", "2", "3"], found.Select(v => v.Version));
        Assert.Equal(3, F.Server.Count("/model-versions/search"));
        Assert.Contains("page_token=", F.Last("/model-versions/search").Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_models_and_versions_are_resource_does_not_exist()
    {
        var (_, run) = await F.NewRunAsync();
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateModelVersionAsync("nope", run.RunId, "model", [], default));
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", error.ErrorCode);
        await F.Store.CreateRegisteredModelAsync("model", default);
        error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.GetModelVersionAsync("model", "3", default));
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", error.ErrorCode);
        Assert.Equal(404, error.HttpStatus);
    }

    [Fact]
    public async Task Aliases_are_set_moved_read_and_deleted()
    {
        var (_, run) = await F.NewRunAsync();
        await F.Store.CreateRegisteredModelAsync("model", default);
        await F.Store.CreateModelVersionAsync("model", run.RunId, "model", [], default);
        await F.Store.CreateModelVersionAsync("model", run.RunId, "model", [], default);

        Assert.Null(await F.Store.GetModelVersionByAliasAsync("model", "champion", default));
        await F.Store.SetAliasAsync("model", "champion", "1", default);
        var champion = await F.Store.GetModelVersionByAliasAsync("model", "champion", default);
        Assert.Equal("1", champion!.Version);
        Assert.Equal(["champion"], champion.Aliases);

        await F.Store.SetAliasAsync("model", "champion", "2", default);
        await F.Store.SetAliasAsync("model", "challenger-1", "1", default);
        Assert.Equal("2", (await F.Store.GetModelVersionByAliasAsync("model", "champion", default))!.Version);
        var model = await F.Store.GetRegisteredModelAsync("model", default);
        Assert.Equal([new ModelAlias("challenger-1", "1"), new ModelAlias("champion", "2")], model!.Aliases.OrderBy(a => a.Alias, StringComparer.Ordinal));

        await F.Store.DeleteAliasAsync("model", "champion", default);
        await F.Store.DeleteAliasAsync("model", "champion", default); // missing: no error
        Assert.Null(await F.Store.GetModelVersionByAliasAsync("model", "champion", default));
        Assert.Equal(["challenger-1"], F.Server.Model("model").Aliases.Keys);

        var delete = F.Server.Requests.Last(r => r.Method == "DELETE");
        Assert.Equal("/api/2.0/mlflow/registered-models/alias", delete.Path);
        Assert.Equal("DELETE", delete.Method);
        Assert.Equal("application/json", delete.ContentType);
        Assert.Equal("""{"name":"model","alias":"champion"}""", delete.Body);
        Assert.Equal("", delete.Query);
    }

    [Fact]
    public async Task An_alias_of_a_missing_model_is_null()
    {
        Assert.Null(await F.Store.GetModelVersionByAliasAsync("nope", "champion", default));
        Assert.Equal(404, F.Server.Requests.Single().Status);
    }

    [Fact]
    public async Task Setting_an_alias_to_a_missing_version_fails()
    {
        await F.Store.CreateRegisteredModelAsync("model", default);
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.SetAliasAsync("model", "champion", "9", default));
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", error.ErrorCode);
    }

    [Fact]
    public async Task Other_errors_on_get_by_alias_are_not_swallowed()
    {
        F.Server.Inject(ServerFault.Answer(403, """{"error_code": "PERMISSION_DENIED", "message": "no"}"""));
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.GetModelVersionByAliasAsync("model", "champion", default));
        Assert.Equal("PERMISSION_DENIED", error.ErrorCode);
    }
}
