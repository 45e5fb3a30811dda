using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Local;
using static MlOps.Pipelines.Tests.Tracking.Local.TrackingAssert;

namespace MlOps.Pipelines.Tests.Tracking.Local;

/// <summary>The registry under <c>mlruns/models/</c> as MLflow's registry FileStore writes it.</summary>
public sealed class LocalModelRegistry : IDisposable
{
    const string RunId = "9f0c1d2e3f405162738495a6b7c8d9e0";
    readonly TrackingFolder _folder = new();
    readonly LocalTrackingStore _store;
    readonly CancellationToken _none = CancellationToken.None;

    public LocalModelRegistry()
    {
        _folder.RunIds.Enqueue(RunId);
        _store = _folder.Open();
        _store.CreateRunAsync("0", "train", TrackingFolder.T0, [], _none).GetAwaiter().GetResult();
    }

    public void Dispose() => _folder.Dispose();

    static string Lines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    [Fact]
    public async Task A_registered_model_has_mlflows_meta_yaml()
    {
        _folder.Clock.Now = _folder.Clock.Now.AddSeconds(1);
        var model = await _store.CreateRegisteredModelAsync("churn", _none);

        Assert.Equal(("churn", TrackingFolder.T0 + 1000, TrackingFolder.T0 + 1000), (model.Name, model.CreationTimestamp, model.LastUpdatedTimestamp));
        Assert.Empty(model.Aliases);
        Assert.Empty(model.Tags);
        Assert.Equal(Lines($$"""
            aliases: {}
            creation_timestamp: {{TrackingFolder.T0 + 1000}}
            description: null
            last_updated_timestamp: {{TrackingFolder.T0 + 1000}}
            name: churn

            """), _folder.Read("models", "churn", "meta.yaml"));
        Assert.Equal("churn", (await _store.GetRegisteredModelAsync("churn", _none))?.Name);
        Assert.Null(await _store.GetRegisteredModelAsync("other", _none));
        await Fails("RESOURCE_ALREADY_EXISTS", () => _store.CreateRegisteredModelAsync("churn", _none), "Registered Model (name=churn) already exists.");
    }

    [Fact]
    public async Task Versions_are_numbered_per_model_and_point_at_the_runs_artefacts()
    {
        await _store.CreateRegisteredModelAsync("churn", _none);
        await _store.CreateRegisteredModelAsync("fraud", _none);
        _folder.Clock.Now = _folder.Clock.Now.AddSeconds(2);
        var first = await _store.CreateModelVersionAsync("churn", RunId, "model", [new Tag("git/sha", "abc123")], _none);
        var second = await _store.CreateModelVersionAsync("churn", RunId, "model", [], _none);
        var other = await _store.CreateModelVersionAsync("fraud", RunId, "other/model", [], _none);

        var source = _folder.UriOf("0", RunId, "artifacts") + "/model";
        Assert.Equal(("1", "2", "1"), (first.Version, second.Version, other.Version));
        Assert.Equal(source, first.Source);
        Assert.Equal(RunId, first.RunId);
        Assert.Equal("READY", first.Status);
        Assert.Equal([new Tag("git/sha", "abc123")], first.Tags);
        Assert.Equal(_folder.UriOf("0", RunId, "artifacts") + "/other/model", other.Source);
        Assert.Equal(Lines($"""
            aliases: []
            creation_timestamp: {TrackingFolder.T0 + 2000}
            current_stage: None
            description: null
            last_updated_timestamp: {TrackingFolder.T0 + 2000}
            name: churn
            run_id: {RunId}
            run_link: null
            source: {source}
            status: READY
            status_message: null
            storage_location: {source}
            user_id: null
            version: 1

            """), _folder.Read("models", "churn", "version-1", "meta.yaml"));
        Assert.Equal("abc123", _folder.Read("models", "churn", "version-1", "tags", "git", "sha"));
        Assert.Contains($"\nlast_updated_timestamp: {TrackingFolder.T0 + 2000}\n", _folder.Read("models", "churn", "meta.yaml"), StringComparison.Ordinal);
        var read = await _store.GetModelVersionAsync("churn", "2", _none);
        Assert.Equal((second.Name, second.Version, second.CreationTimestamp, second.Source, second.RunId, second.Status),
            (read.Name, read.Version, read.CreationTimestamp, read.Source, read.RunId, read.Status));
        Assert.Equal([new Tag("git/sha", "abc123")], (await _store.GetModelVersionAsync("churn", "1", _none)).Tags);
    }

    [Fact]
    public async Task A_version_needs_an_existing_model_and_run()
    {
        await Fails("RESOURCE_DOES_NOT_EXIST", () => _store.CreateModelVersionAsync("missing", RunId, "model", [], _none), "missing");
        await _store.CreateRegisteredModelAsync("churn", _none);
        await Fails("RESOURCE_DOES_NOT_EXIST", () => _store.CreateModelVersionAsync("churn", "0123456789abcdef0123456789abcdef", "model", [], _none));
        await Fails("RESOURCE_DOES_NOT_EXIST", () => _store.GetModelVersionAsync("churn", "1", _none), "version=1");
        await Fails("INVALID_PARAMETER_VALUE", () => _store.GetModelVersionAsync("churn", "one", _none), "'one'");
        await Fails("INVALID_PARAMETER_VALUE", () => _store.CreateModelVersionAsync("churn", RunId, "../model", [], _none));
        Assert.Empty(Directory.GetDirectories(_folder.PathOf("models", "churn")));
    }

    [Fact]
    public async Task Versions_are_found_by_model_and_run()
    {
        const string OtherRun = "0123456789abcdef0123456789abcdef";
        _folder.RunIds.Enqueue(OtherRun);
        await _store.CreateRunAsync("0", "other", TrackingFolder.T0, [], _none);
        await _store.CreateRegisteredModelAsync("churn", _none);
        await _store.CreateRegisteredModelAsync("fraud", _none);
        await _store.CreateModelVersionAsync("churn", RunId, "model", [new Tag("attempt", "a1")], _none);
        await _store.CreateModelVersionAsync("churn", OtherRun, "model", [], _none);
        for (var i = 0; i < 9; i++) await _store.CreateModelVersionAsync("churn", RunId, "model", [], _none);
        await _store.CreateModelVersionAsync("fraud", RunId, "model", [], _none);
        await _store.SetAliasAsync("churn", "champion", "3", _none);

        var found = await _store.FindModelVersionsAsync("churn", RunId, _none);

        // Numeric order: version-10 and version-11 after version-9.
        Assert.Equal(["1", "3", "4", "5", "6", "7", "8", "9", "10", "11"], found.Select(v => v.Version));
        Assert.All(found, v => Assert.Equal(("churn", RunId), (v.Name, v.RunId)));
        Assert.Equal([new Tag("attempt", "a1")], found[0].Tags);
        Assert.Equal(["champion"], found[1].Aliases);
        Assert.Equal(["2"], (await _store.FindModelVersionsAsync("churn", OtherRun, _none)).Select(v => v.Version));
        Assert.Equal(["1"], (await _store.FindModelVersionsAsync("fraud", RunId, _none)).Select(v => v.Version));
    }

    [Fact]
    public async Task No_versions_of_a_run_or_of_a_missing_model_is_an_empty_list()
    {
        Assert.Empty(await _store.FindModelVersionsAsync("churn", RunId, _none));
        await _store.CreateRegisteredModelAsync("churn", _none);
        Assert.Empty(await _store.FindModelVersionsAsync("churn", RunId, _none));
        await _store.CreateModelVersionAsync("churn", RunId, "model", [], _none);
        Assert.Empty(await _store.FindModelVersionsAsync("churn", "0123456789abcdef0123456789abcdef", _none));
        Assert.False(Directory.Exists(_folder.PathOf("models", "nobody")));
        await Fails("INVALID_PARAMETER_VALUE", () => _store.FindModelVersionsAsync("team/churn", RunId, _none), "path separator");
        await Fails("INVALID_PARAMETER_VALUE", () => _store.FindModelVersionsAsync("churn", "../x", _none));
    }

    [Fact]
    public async Task Aliases_are_set_moved_and_deleted()
    {
        await _store.CreateRegisteredModelAsync("churn", _none);
        await _store.CreateModelVersionAsync("churn", RunId, "model", [], _none);
        await _store.CreateModelVersionAsync("churn", RunId, "model", [], _none);

        _folder.Clock.Now = _folder.Clock.Now.AddSeconds(3);
        await _store.SetAliasAsync("churn", "champion", "1", _none);
        Assert.Equal("1"u8.ToArray(), File.ReadAllBytes(_folder.PathOf("models", "churn", "aliases", "champion")));
        var champion = await _store.GetModelVersionByAliasAsync("churn", "champion", _none);
        Assert.Equal("1", champion?.Version);
        Assert.Equal(["champion"], champion?.Aliases ?? []);
        Assert.Equal(Lines($"""
            aliases:
              champion: '1'
            creation_timestamp: {TrackingFolder.T0}
            description: null
            last_updated_timestamp: {TrackingFolder.T0 + 3000}
            name: churn

            """), _folder.Read("models", "churn", "meta.yaml"));

        await _store.SetAliasAsync("churn", "champion", "2", _none);
        Assert.Equal("2", (await _store.GetModelVersionByAliasAsync("churn", "champion", _none))?.Version);
        Assert.Empty((await _store.GetModelVersionAsync("churn", "1", _none)).Aliases);
        Assert.Equal([new ModelAlias("champion", "2")], (await _store.GetRegisteredModelAsync("churn", _none))?.Aliases);

        await _store.DeleteAliasAsync("churn", "champion", _none);
        Assert.Null(await _store.GetModelVersionByAliasAsync("churn", "champion", _none));
        Assert.False(File.Exists(_folder.PathOf("models", "churn", "aliases", "champion")));
        Assert.StartsWith("aliases: {}\n", _folder.Read("models", "churn", "meta.yaml"), StringComparison.Ordinal);
        await _store.DeleteAliasAsync("churn", "champion", _none); // deleting a missing alias is not an error
    }

    [Fact]
    public async Task A_missing_alias_or_model_has_no_version()
    {
        Assert.Null(await _store.GetModelVersionByAliasAsync("nobody", "champion", _none));
        await _store.CreateRegisteredModelAsync("churn", _none);
        Assert.Null(await _store.GetModelVersionByAliasAsync("churn", "champion", _none));
        await Fails("RESOURCE_DOES_NOT_EXIST", () => _store.SetAliasAsync("churn", "champion", "9", _none), "version=9");
        await Fails("RESOURCE_DOES_NOT_EXIST", () => _store.SetAliasAsync("nobody", "champion", "1", _none), "nobody");
        await Fails("RESOURCE_DOES_NOT_EXIST", () => _store.DeleteAliasAsync("nobody", "champion", _none), "nobody");
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("LATEST")]
    [InlineData("v1")]
    [InlineData("V42")]
    [InlineData("with space")]
    [InlineData("dot.ted")]
    [InlineData("")]
    public async Task Reserved_or_malformed_aliases_are_refused(string alias)
    {
        await _store.CreateRegisteredModelAsync("churn", _none);
        await _store.CreateModelVersionAsync("churn", RunId, "model", [], _none);
        await Fails("INVALID_PARAMETER_VALUE", () => _store.SetAliasAsync("churn", alias, "1", _none));
        Assert.False(Directory.Exists(_folder.PathOf("models", "churn", "aliases")));
    }

    [Fact]
    public async Task An_alias_may_be_v_followed_by_more_than_digits()
    {
        await _store.CreateRegisteredModelAsync("churn", _none);
        await _store.CreateModelVersionAsync("churn", RunId, "model", [], _none);
        await _store.SetAliasAsync("churn", "v1-candidate", "1", _none);
        Assert.Equal("1", (await _store.GetModelVersionByAliasAsync("churn", "v1-candidate", _none))?.Version);
    }

    [Theory]
    [InlineData("team/churn", "path separator")]
    [InlineData("churn%20", "'%'")]
    [InlineData("..", "folder name")]
    [InlineData("", "cannot be empty")]
    public async Task Model_names_must_be_usable_as_folder_names(string name, string fragment)
    {
        await Fails("INVALID_PARAMETER_VALUE", () => _store.CreateRegisteredModelAsync(name, _none), fragment);
        Assert.False(Directory.Exists(_folder.PathOf("models")) && Directory.EnumerateFileSystemEntries(_folder.PathOf("models")).Any());
    }
}
