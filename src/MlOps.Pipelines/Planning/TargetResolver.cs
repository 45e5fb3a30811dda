using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Hosting;
using MlOps.Pipelines.Parameters;

namespace MlOps.Pipelines.Planning;

/// <summary>Finds targets by name (<c>Train</c>, or <c>FlightDelays:Train</c> when the plain name is ambiguous).</summary>
sealed class TargetResolver(IReadOnlyList<TargetModel> targets)
{
    public TargetModel Resolve(string name)
    {
        var separator = name.IndexOf(':', StringComparison.Ordinal);
        var matches = separator < 0
            ? targets.Where(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)).ToList()
            : targets.Where(t => string.Equals(t.QualifiedName, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count == 1) return matches[0];
        if (matches.Count > 1)
            throw new UsageException($"Target '{name}' is ambiguous; name one of: {string.Join(", ", matches.Select(t => t.QualifiedName))}.");

        var names = targets.Select(t => t.DisplayName).ToList();
        var closest = ParameterNames.Closest(name, names.Concat(targets.Select(t => t.QualifiedName)));
        var suggestion = closest is null ? "" : $" Did you mean '{closest}'?";
        throw new UsageException($"Target '{name}' does not exist.{suggestion} Available targets are: {string.Join(", ", names)}.");
    }

    /// <summary>Gives every target the shortest name that is unique among all hosted pipelines.</summary>
    public static void AssignDisplayNames(IReadOnlyList<TargetModel> targets)
    {
        foreach (var group in targets.GroupBy(t => t.Name, StringComparer.OrdinalIgnoreCase))
            foreach (var target in group)
                target.DisplayName = group.Count() > 1 ? target.QualifiedName : target.Name;
    }
}
