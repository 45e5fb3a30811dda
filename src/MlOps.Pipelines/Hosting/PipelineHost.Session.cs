using MlOps.Pipelines.CommandLine;
using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Hosting;
using MlOps.Pipelines.Parameters;
using MlOps.Pipelines.Planning;

namespace MlOps.Pipelines;

// Discovery of the hosted pipelines and binding of every parameter, engine options included.
public sealed partial class PipelineHost
{
    sealed record Session(IReadOnlyList<PipelineModel> Pipelines, HostSettings Settings, IReadOnlyList<ParameterModel> HostParameters)
    {
        public IReadOnlyList<TargetModel> AllTargets { get; } = [.. Pipelines.SelectMany(p => p.Targets)];

        public TargetModel? DefaultTarget => Pipelines.Select(p => p.DefaultTarget).FirstOrDefault(t => t is not null);

        public IEnumerable<ParameterModel> AllParameters => HostParameters.Concat(Pipelines.SelectMany(p => p.Parameters));
    }

    Session Discover(AbsolutePath root)
    {
        if (_registrations.Count == 0) throw new UsageException("No pipeline is hosted; add one with PipelineHost.Add<T>().");
        var pipelines = new List<PipelineModel>();
        foreach (var (create, defaultTarget) in _registrations)
        {
            var instance = create();
            instance.RootDirectory = root;
            if (pipelines.Any(p => p.Name == instance.Name))
                throw new UsageException($"Pipeline '{instance.Name}' is hosted twice.");
            pipelines.Add(PipelineModel.Discover(instance, defaultTarget, pipelines.Sum(p => p.Targets.Count)));
        }
        var settings = new HostSettings();
        var session = new Session(pipelines, settings, ParameterModel.Discover(settings, ownerName: null));
        TargetResolver.AssignDisplayNames(session.AllTargets);
        ExecutionPlanner.CheckForCycles(session.AllTargets);
        return session;
    }

    static Dictionary<ParameterModel, BoundParameter> Bind(Session session, CommandLineArguments arguments, HostEnvironment environment, AbsolutePath root)
    {
        var commandLine = arguments.Options
            .Where(o => !CommandLineArguments.Commands.ContainsKey(o.Key))
            .ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal);
        if (arguments.Targets.Count > 0 && !commandLine.TryAdd("target", arguments.Targets))
            throw new UsageException("Targets are given both as leading words and with --target; use one.");

        var parameters = session.AllParameters.ToList();
        var cliNames = parameters.Select(p => p.CliName).Concat(CommandLineArguments.Commands.Keys).ToHashSet(StringComparer.Ordinal);
        foreach (var name in commandLine.Keys.Where(n => !cliNames.Contains(n)))
        {
            var closest = ParameterNames.Closest(name, cliNames);
            throw new UsageException($"Unknown option --{name}.{(closest is null ? "" : $" Did you mean --{closest}?")} See ./build.sh --help.");
        }

        var files = new List<ParameterFile>();
        if (arguments.Value("profile") is { } profile)
        {
            var path = root / ".nuke" / $"parameters.{profile}.json";
            if (!File.Exists(path))
                throw new UsageException($"--profile {profile}: {path.RelativeTo(root)} does not exist.");
            files.Add(ParameterFile.Load(path, path.RelativeTo(root)));
        }
        var basePath = root / ".nuke" / "parameters.json";
        if (File.Exists(basePath)) files.Add(ParameterFile.Load(basePath, basePath.RelativeTo(root)));

        var memberNames = parameters.Select(p => p.MemberName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var file in files)
            foreach (var key in file.Values.Keys.Where(k => !memberNames.Contains(k)))
            {
                var closest = ParameterNames.Closest(key, memberNames);
                throw new UsageException($"{file.DisplayPath}: unknown parameter '{key}'.{(closest is null ? "" : $" Did you mean '{closest}'?")}");
            }

        var binder = new ParameterBinder(commandLine, environment.Variables, files, environment.WorkingDirectory, root);
        return parameters.ToDictionary(p => p, binder.Bind);
    }

    static void WriteSchemaIfChanged(Session session, AbsolutePath root)
    {
        var path = root / ".nuke" / "build.schema.json";
        var schema = SchemaGenerator.Generate(session.AllParameters, [.. session.AllTargets.Select(t => t.DisplayName)]);
        if (File.Exists(path) && File.ReadAllText(path) == schema) return;
        Caching.AtomicFile.WriteAllText(path, schema);
    }
}
