using System.Diagnostics;
using MlOps.Pipelines.Caching;
using MlOps.Pipelines.CommandLine;
using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Execution;
using MlOps.Pipelines.Hosting;
using MlOps.Pipelines.Output;
using MlOps.Pipelines.Parameters;
using MlOps.Pipelines.Planning;

namespace MlOps.Pipelines;

// The lifecycle of one invocation, step by step: parse, find the root, discover, bind, then answer a
// command (--help, --list, --plan) or run the plan and summarise.
public sealed partial class PipelineHost
{
    internal async Task<int> RunAsync(string[] args, HostEnvironment environment)
    {
        var masker = new SecretMasker();
        var output = new ConsoleOutput(environment.Out, environment.Colors, environment.GitHubActions, masker);
        // Workflow commands are read from standard output, so on GitHub Actions errors go there too.
        var errors = new ConsoleOutput(environment.GitHubActions ? environment.Out : environment.Error, environment.Colors, environment.GitHubActions, masker);
        try
        {
            var arguments = CommandLineArguments.Parse(args);
            var root = FindRoot(arguments.Value("root"), environment.WorkingDirectory);
            var session = Discover(root);
            var bound = Bind(session, arguments, environment, root);
            WriteSchemaIfChanged(session, root);

            if (arguments.Has("help"))
            {
                HelpWriter.Write(output, session.Pipelines, session.DefaultTarget, bound, session.HostParameters, root);
                return ExitCodes.Success;
            }
            if (arguments.Has("list"))
            {
                foreach (var target in session.AllTargets) output.Line(target.DisplayName, minimum: Verbosity.Quiet);
                return ExitCodes.Success;
            }

            var settings = Apply(session, bound, masker);
            output.Verbosity = settings.Verbosity;
            // From here on secrets are known: whatever code prints to the console outside a target is masked too.
            using var maskedConsole = ConsoleRouter.Mask(masker);

            var cache = new BuildCache(root, masker, message => output.Log(LogLevel.Warning, message));
            if (await CacheCommandAsync(arguments, cache, output, root, environment.Cancellation) is { } exitCode) return exitCode;

            if (settings.Target is [SyncRunsCommand] && !session.AllTargets.Any(t => t.Name == SyncRunsCommand))
                return await SyncRunsAsync(environment, root, output);

            var resolver = new TargetResolver(session.AllTargets);
            var invoked = settings.Target is { Length: > 0 } names
                ? names.Select(resolver.Resolve).Distinct().ToList()
                : [session.DefaultTarget ?? throw new UsageException(
                    $"No target given and no default target is set. Available targets are: {string.Join(", ", session.AllTargets.Select(t => t.DisplayName))}.")];
            var plan = ExecutionPlanner.Plan(invoked);
            IReadOnlySet<TargetModel> skipped = settings.Skip switch
            {
                null => new HashSet<TargetModel>(),
                { Length: 0 } => plan.Except(invoked).ToHashSet(),
                var skip => skip.Select(resolver.Resolve).ToHashSet(),
            };
            CheckRequirements(plan.Where(t => !skipped.Contains(t)), bound);

            if (arguments.Has("plan"))
            {
                var mermaid = root / ".nuke" / "temp" / "plan.md";
                Directory.CreateDirectory(mermaid.Parent!);
                File.WriteAllText(mermaid, PlanWriter.Mermaid(plan, skipped));
                PlanWriter.Write(output, plan, skipped, mermaid.RelativeTo(root));
                return ExitCodes.Success;
            }

            var options = new ExecutionOptions(settings.Threads, settings.Parallel, settings.NoCache,
                Downstream(plan, settings.Force is { Length: 0 } ? plan : (settings.Force ?? []).Select(resolver.Resolve)),
                skipped,
                arguments.Has("continue") ? (CacheMaintenance.ReadLastRun(LastRunPath(root))?.Succeeded ?? []).ToHashSet(StringComparer.Ordinal) : new HashSet<string>(),
                $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}");
            if (arguments.Has("dry-run"))
            {
                output.Line($"Dry run: {plan.Count} target{(plan.Count == 1 ? "" : "s")}; nothing runs", Style.Heading, Verbosity.Quiet);
                foreach (var line in ConsoleOutput.Columns(DryRun.Explain(plan, cache, options))) output.Line(line, minimum: Verbosity.Quiet);
                return ExitCodes.Success;
            }

            if (!settings.Tracking) return await ExecuteAsync(output, environment, cache, options, plan, root);
            var store = Tracking.TrackingStores.Open(environment, root);
            try
            {
                var parameters = plan.Select(t => t.Pipeline).Distinct().ToDictionary(p => p, p => (IReadOnlyList<Tracking.Param>)[.. p.Parameters
                    .Where(m => !m.IsSecret && bound.ContainsKey(m))
                    .Select(m => new Tracking.Param(m.MemberName, ValueConverter.Format(bound[m].Value, root)))
                    .Where(Tracking.TargetTracker.IsValid)]);
                var tracking = Tracking.TrackingSession.Start(store, root, options.RunId, plan, parameters,
                    Tracking.TrackingStores.StandardTags(environment, root, string.Join(' ', args.Select(a => masker.Apply(a))),
                        [.. plan.Select(t => t.Pipeline).Distinct().Select(p => (string)LockFile.PathFor(p))]), output, settings.TrackingRequired);
                return await ExecuteAsync(output, environment, cache, options with { Tracking = tracking }, plan, root);
            }
            finally
            {
                (store as IDisposable)?.Dispose();
            }
        }
        catch (UsageException e)
        {
            foreach (var line in e.Message.Split('\n')) errors.Log(LogLevel.Error, line);
            return ExitCodes.UsageError;
        }
        catch (OperationCanceledException) when (environment.Cancellation.IsCancellationRequested)
        {
            errors.Log(LogLevel.Error, "Cancelled by Ctrl-C.");
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            // A fault of the host itself (targets' exceptions are caught where they run): one clear line and the
            // stack trace to report, instead of the runtime's abort.
            errors.Log(LogLevel.Error, $"internal error: {e.GetType().Name}: {e.Message}. This is a bug in MlOps.Pipelines; the stack trace follows.");
            foreach (var line in e.ToString().Split('\n')) errors.Line(line.TrimEnd(), Style.Dim, Verbosity.Quiet);
            return ExitCodes.InternalError;
        }
    }

    async Task<int> ExecuteAsync(ConsoleOutput output, HostEnvironment environment, BuildCache cache, ExecutionOptions options,
        IReadOnlyList<TargetModel> plan, AbsolutePath root)
    {
        var stopwatch = Stopwatch.StartNew();
        using var announce = environment.Cancellation.Register(() =>
            output.Line("Cancelling (Ctrl-C): the running target is asked to stop; press Ctrl-C again to kill.", Style.Warning, Verbosity.Quiet));
        var locks = new List<WorkspaceLock>();
        IReadOnlyList<TargetRun> runs;
        try
        {
            locks.Add(await WorkspaceLock.AcquireAsync(cache.LockPath, message => output.Line(message, Style.Dim), environment.Cancellation,
                shared: true, holder: "--cache-prune to finish"));
            foreach (var pipeline in plan.Select(t => t.Pipeline.Name).Distinct().Order(StringComparer.Ordinal))
            {
                locks.Add(await WorkspaceLock.AcquireAsync(root / ".nuke" / "temp" / "locks" / $"{pipeline}.lock",
                    message => output.Line(message, Style.Dim), environment.Cancellation));
                RemoveAbandonedStaging(root, pipeline);
            }
            runs = await new PipelineExecutor(output, cache, options, environment.Cancellation).ExecuteAsync(plan);
            foreach (var pipeline in plan.Select(t => t.Pipeline).Distinct())
                LockFile.Update(pipeline, runs.Where(r => r.Target.Pipeline == pipeline && r.Target.IsCacheable && r.Trace is not null)
                    .ToDictionary(r => r.Target, r => r.Trace!), cache.Masker);
            cache.Hasher.Save();
        }
        catch (OperationCanceledException) when (environment.Cancellation.IsCancellationRequested)
        {
            output.Line("Cancelled by Ctrl-C while waiting for another build.", Style.Error, Verbosity.Quiet);
            return ExitCodes.Cancelled;
        }
        finally
        {
            foreach (var held in locks) held.Dispose();
        }
        var total = stopwatch.Elapsed;
        RecordLastRun(root, options, runs);
        options.Tracking?.End(runs, environment.Cancellation.IsCancellationRequested);

        SummaryWriter.Write(output, runs, total);
        var failed = runs.Where(r => r.Status == TargetStatus.Failed).ToList();
        var (exitCode, verdict) = environment.Cancellation.IsCancellationRequested
            ? (ExitCodes.Cancelled, $"Cancelled by Ctrl-C; {runs.Count(r => r.Status is TargetStatus.NotRun or TargetStatus.Cancelled)} target(s) did not finish.")
            : failed.Any(r => !r.GateWithheld)
                ? (ExitCodes.TargetFailed, $"Build failed: {string.Join(", ", failed.Select(r => r.Target.DisplayName))}.")
                : failed.Count > 0
                    ? (ExitCodes.GateWithheld, $"Build stopped: a gate withheld its blessing from {string.Join(", ", failed.Select(r => r.Target.DisplayName))}.")
                    : (ExitCodes.Success, $"Build succeeded in {ConsoleOutput.FormatDuration(total)}.");
        output.Line(verdict, exitCode == ExitCodes.Success ? Style.Success : Style.Error, Verbosity.Quiet);
        if (options.Tracking is { } tracking)
        {
            try
            {
                await tracking.DisposeAsync();
            }
            catch (Tracking.TrackingException e)
            {
                output.Log(LogLevel.Error, e.Message);
                if (exitCode == ExitCodes.Success) exitCode = ExitCodes.TargetFailed;
            }
        }

        if (environment.GitHubActions && environment.Variable("GITHUB_STEP_SUMMARY") is { } summaryPath)
            await File.AppendAllTextAsync(summaryPath, SummaryWriter.Markdown(runs, total, verdict, output.Masker));
        return exitCode;
    }

    /// <summary>The word that replays kept tracking journals instead of running targets (unless a pipeline has a target of that name).</summary>
    const string SyncRunsCommand = "SyncRuns";

    static async Task<int> SyncRunsAsync(HostEnvironment environment, AbsolutePath root, ConsoleOutput output)
    {
        var store = Tracking.TrackingStores.Open(environment, root);
        try
        {
            var left = await Tracking.TrackingSession.SyncAsync(store, location => Tracking.TrackingStores.OpenRecorded(location, environment), root, output, environment.Cancellation);
            return left == 0 ? ExitCodes.Success : ExitCodes.TargetFailed;
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    /// <summary>Staging folders of a build that was killed; safe to remove while this build holds the pipeline's lock.</summary>
    static void RemoveAbandonedStaging(AbsolutePath root, string pipeline)
    {
        var staging = root / ".nuke" / "temp" / "staging";
        if (!Directory.Exists(staging)) return;
        foreach (var folder in Directory.GetDirectories(staging, $"*-{pipeline}.*")) Directory.Delete(folder, recursive: true);
    }

    static string LastRunPath(AbsolutePath root) => root / ".nuke" / "temp" / "last-run.json";

    /// <summary>What --continue and --cache-info read next time: what succeeded, and the cache's hit rate.</summary>
    static void RecordLastRun(AbsolutePath root, ExecutionOptions options, IReadOnlyList<TargetRun> runs)
    {
        var succeeded = runs
            .Where(r => r.Status is TargetStatus.Succeeded or TargetStatus.Cached || options.SucceededBefore.Contains(r.Target.QualifiedName))
            .Select(r => r.Target.QualifiedName).ToList();
        var cacheable = runs.Where(r => r.Target.IsCacheable && r.Status is TargetStatus.Succeeded or TargetStatus.Cached).ToList();
        CacheMaintenance.WriteLastRun(LastRunPath(root),
            new CacheMaintenance.LastRun(options.RunId, cacheable.Count, cacheable.Count(r => r.Status == TargetStatus.Cached), succeeded));
    }

    /// <summary>The given targets and every planned target that depends on them, directly or not.</summary>
    static IReadOnlySet<TargetModel> Downstream(IReadOnlyList<TargetModel> plan, IEnumerable<TargetModel> roots)
    {
        var result = roots.ToHashSet();
        foreach (var target in plan)
            if (target.DependsOn.Any(result.Contains)) result.Add(target);
        return result;
    }

    /// <summary>Sets every parameter to its bound value, after reporting all bad values (unconvertible, out of range, secrets too short to mask) at once.</summary>
    static HostSettings Apply(Session session, IReadOnlyDictionary<ParameterModel, BoundParameter> bound, SecretMasker masker)
    {
        var invalid = bound.Values.Where(b => b.Error is not null).Select(b => b.Error!)
            .Concat(bound.Values.Where(b => b.Parameter.IsSecret).SelectMany(TooShortSecrets))
            .ToList();
        if (invalid.Count > 0) throw new UsageException(string.Join("\n", invalid));
        foreach (var value in bound.Values)
        {
            value.Parameter.Set(value.Value);
            if (value.Parameter.IsSecret) AddSecrets(masker, value.Value);
        }
        return session.Settings;
    }

    /// <summary>Answers --cache-info and --cache-prune; null when neither was asked for.</summary>
    static async Task<int?> CacheCommandAsync(CommandLineArguments arguments, BuildCache cache, ConsoleOutput output, AbsolutePath root,
        CancellationToken cancellation)
    {
        IEnumerable<string> lines;
        if (arguments.Has("cache-info")) lines = CacheMaintenance.Info(cache, CacheMaintenance.ReadLastRun(LastRunPath(root)));
        else if (arguments.Has("cache-prune"))
        {
            long limit;
            try { limit = CacheMaintenance.ParseSize(arguments.Value("cache-prune") ?? "5GB"); }
            catch (FormatException e) { throw new UsageException($"--cache-prune: {e.Message}."); }
            // Alone in the cache: a build beside it may have stored objects its entry does not name yet.
            using var exclusive = await WorkspaceLock.AcquireAsync(cache.LockPath, message => output.Line(message, minimum: Verbosity.Quiet), cancellation,
                holder: "the builds using the cache to finish");
            lines = [.. CacheMaintenance.Prune(cache, limit)];
        }
        else return null;
        foreach (var line in lines) output.Line(line, minimum: Verbosity.Quiet);
        return ExitCodes.Success;
    }

    static AbsolutePath FindRoot(string? given, string workingDirectory)
    {
        if (given is not null)
        {
            var root = AbsolutePath.Create(given, workingDirectory);
            return Directory.Exists(root / ".nuke")
                ? root
                : throw new UsageException($"--root {given}: {root} has no .nuke folder, so it is not a repository root.");
        }
        for (var directory = AbsolutePath.Create(workingDirectory); directory is not null; directory = directory.Parent)
            if (Directory.Exists(directory / ".nuke")) return directory;
        throw new UsageException($"No .nuke folder in {workingDirectory} or above it; run from inside the repository or pass --root.");
    }

    static void CheckRequirements(IEnumerable<TargetModel> targets, IReadOnlyDictionary<ParameterModel, BoundParameter> bound)
    {
        var missing = new List<string>();
        foreach (var target in targets)
            foreach (var member in target.Definition.RequiredMembers)
            {
                var parameter = target.Pipeline.Parameters.Single(p => p.MemberName == member);
                if (bound[parameter].Value is null or "" or Array { Length: 0 })
                    missing.Add($"Target '{target.DisplayName}' requires parameter '{member}'; set --{parameter.CliName}, " +
                        $"{parameter.EnvironmentName} in the environment, or \"{member}\" in .nuke/parameters.json.");
            }
        if (missing.Count > 0) throw new UsageException(string.Join("\n", missing));
    }

    static IEnumerable<string> TooShortSecrets(BoundParameter secret) =>
        SecretTexts(secret.Value).Select(SecretMasker.TooShort).OfType<string>().Take(1)
            .Select(why => $"Parameter '{secret.Parameter.MemberName}' (from {secret.Source}): {why}.");

    static IEnumerable<string?> SecretTexts(object? value) =>
        value is Array array ? array.Cast<object?>().Select(item => item?.ToString()) : [value?.ToString()];

    static void AddSecrets(SecretMasker masker, object? value)
    {
        foreach (var text in SecretTexts(value)) masker.Add(text);
    }
}
