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
