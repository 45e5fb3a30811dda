namespace MlOps.Pipelines.Tests.Tracking.Reporting;

/// <summary>The model registry as a target sees it (local store): register, aliases, model URIs.</summary>
public sealed class RegistryFromTargets : IDisposable
{
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    sealed class Registering : MlPipeline
    {
        [Parameter("Package content")] readonly string Content = "v1";

        public Target Ship => _ => _
            .Cached(false)
            .Executes(async context =>
            {
                var registry = context.Registry!;
                var folder = RootDirectory / "package";
                Directory.CreateDirectory(folder / "nested");
                await File.WriteAllTextAsync(folder / "nested" / "model.txt", Content);
                context.LogMetric("auc", Content.Length / 10.0);
                var before = await registry.GetAsync("M", "champion");
                var version = await registry.RegisterAsync("M", folder, new Dictionary<string, string> { ["content"] = Content }, ["champion"]);
                context.Info($"registered {version!.Version} (champion was {before?.Version ?? "none"}) tag {version.Tags["content"]}");
            });

        public Target Inspect => _ => _
            .Cached(false)
            .Executes(async context =>
            {
                var registry = context.Registry!;
                var champion = await registry.ResolveAsync("models:/M@champion");
                var first = await registry.ResolveAsync("models:/M/1");
                context.Info($"champion {champion!.Version} auc {champion.Metrics["auc"]}; version 1 tag {first!.Tags["content"]}");
                await registry.SetAliasAsync("M", "challenger", "1");
                context.Info($"challenger {(await registry.ResolveAsync("models:/M@challenger"))!.Version}");
                await registry.DeleteAliasAsync("M", "challenger");
                context.Info($"challenger after delete: {(await registry.ResolveAsync("models:/M@challenger"))?.Version ?? "none"}");
                context.Info($"version 99: {(await registry.ResolveAsync("models:/M/99"))?.Version ?? "none"}");
                try
                {
                    await registry.ResolveAsync("models:/M/Production");
                }
                catch (ArgumentException e)
                {
                    context.Info("refused: " + e.Message);
                }
            });
    }

    RunResult Build(params string[] args) => _harness.Run(new PipelineHost().Add<Registering>(), args);

    [Fact]
    public void Registering_moves_the_champion_and_versions_are_found_by_alias_and_number()
    {
        var first = Build("Ship");
        Assert.True(first.ExitCode == 0, first.All);
        Assert.Contains("registered 1 (champion was none) tag v1", first.Out);
        var second = Build("Ship", "--content", "v2-longer");
        Assert.Contains("registered 2 (champion was 1) tag v2-longer", second.Out);
        Assert.Equal("2", File.ReadAllText(Path.Combine(_harness.Root, "mlruns", "models", "M", "aliases", "champion")));
        Assert.Equal("v2-longer", File.ReadAllText(Directory.GetFiles(Path.Combine(_harness.Root, "mlruns"), "model.txt", SearchOption.AllDirectories)
            .Single(f => f.Contains(Path.Combine("artifacts", "model", "nested"), StringComparison.Ordinal) && File.ReadAllText(f) == "v2-longer")));

        var inspect = Build("Inspect");
        Assert.True(inspect.ExitCode == 0, inspect.All);
        Assert.Contains("champion 2 auc 0.9; version 1 tag v1", inspect.Out);
        Assert.Contains("challenger 1", inspect.Out);
        Assert.Contains("challenger after delete: none", inspect.Out);
        Assert.Contains("version 99: none", inspect.Out);
        Assert.Contains("refused: 'models:/M/Production' names no alias or version number", inspect.Out);
    }

    sealed class Packaging : MlPipeline
    {
        readonly Artifact<AbsolutePath> Package = Artifact.Directory("package");

        public Target Pack => _ => _
            .Produces(Package)
            .Executes(context =>
            {
                var folder = context.PathOf(Package);
                Directory.CreateDirectory(folder);
                File.WriteAllText(folder / "MLmodel", Journal.LoggedModels.Package);
                File.WriteAllText(folder / "model.bin", "weights");
                context.LogArtifact(Package);
            });

        public Target Ship => _ => _
            .Consumes(Package)
            .Cached(false)
            .Executes(async context =>
                await context.Registry!.RegisterAsync("M", context.PathOf(Package), new Dictionary<string, string>(), ["champion"]));
    }

    /// <summary>The run folder whose tag mlflow.runName is <paramref name="name"/>.</summary>
    string LocalRun(string name) => Directory.GetFiles(Path.Combine(_harness.Root, "mlruns"), "mlflow.runName", SearchOption.AllDirectories)
        .Where(f => File.ReadAllText(f) == name).Select(f => Path.GetDirectoryName(Path.GetDirectoryName(f))!).Single();

    [Fact]
    public void The_model_a_run_logs_names_the_run_and_its_time_and_is_in_its_model_history_while_the_package_stays_as_built()
    {
        var result = _harness.Run(new PipelineHost().Add<Packaging>(), "Ship");

        Assert.True(result.ExitCode == 0, result.All);
        foreach (var (target, path) in new[] { ("Pack", "package"), ("Ship", "model") })
        {
            var run = LocalRun(target);
            var runId = Path.GetFileName(run);
            var logged = File.ReadAllText(Path.Combine(run, "artifacts", path, "MLmodel"));
            Assert.Contains($"\nrun_id: {runId}\n", logged);
            Assert.StartsWith($"artifact_path: {path}\n", logged);
            Assert.Matches(@"\nutc_time_created: '20\d\d-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?'\n", logged);
            Assert.DoesNotContain("2000-01-01", logged);
            Assert.Equal("weights", File.ReadAllText(Path.Combine(run, "artifacts", path, "model.bin")));
            var history = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "tags", "mlflow.log-model.history"))).RootElement;
            Assert.Equal(runId, history.EnumerateArray().Single().GetProperty("run_id").GetString());
            Assert.Equal(path, history[0].GetProperty("artifact_path").GetString());
        }
        Assert.Equal(Journal.LoggedModels.Package, File.ReadAllText(Path.Combine(_harness.Root, "artifacts", "Packaging", "package", "MLmodel")));
        Assert.Contains("/artifacts/model", File.ReadAllText(Path.Combine(_harness.Root, "mlruns", "models", "M", "version-1", "meta.yaml")));
    }

    [Fact]
    public void Registering_the_same_files_again_moves_the_aliases_to_their_version_instead_of_making_another()
    {
        Assert.Contains("registered 1 (champion was none) tag v1", Build("Ship").Out);
        Assert.Contains("registered 2 (champion was 1) tag v2", Build("Ship", "--content", "v2").Out);
        var again = Build("Ship");
        Assert.True(again.ExitCode == 0, again.All);
        Assert.Contains("registered 1 (champion was 2) tag v1", again.Out);
        Assert.Equal("1", File.ReadAllText(Path.Combine(_harness.Root, "mlruns", "models", "M", "aliases", "champion")));
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(_harness.Root, "mlruns", "models", "M"), "version-*").Length);
    }

    [Fact]
    public void With_tracking_off_a_target_has_no_registry()
    {
        var result = Build("Ship", "--tracking", "false");
        Assert.Equal(1, result.ExitCode);
    }
}
