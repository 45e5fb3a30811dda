using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Hosting;

namespace MlOps.Pipelines.Planning;

/// <summary>
/// Turns requested targets into an ordered plan: their dependencies and the targets they trigger, to a
/// fixpoint, sorted so every ordering edge (DependsOn, After, Before, Triggers) is respected; ties keep
/// declaration order.
/// </summary>
static class ExecutionPlanner
{
    /// <summary>Throws a <see cref="UsageException"/> naming the first cycle among <paramref name="targets"/>, if any.</summary>
    public static void CheckForCycles(IReadOnlyList<TargetModel> targets)
    {
        var state = new Dictionary<TargetModel, bool>(); // false: on the current path; true: finished
        var path = new List<TargetModel>();

        foreach (var target in targets.OrderBy(t => t.Order)) Visit(target);

        void Visit(TargetModel target)
        {
            if (state.TryGetValue(target, out var finished))
            {
                if (finished) return;
                var cycle = path.Skip(path.IndexOf(target)).Append(target).Select(t => t.DisplayName);
                throw new UsageException($"The targets form a cycle: {string.Join(" → ", cycle)}. " +
                    "Each target in it must run before the next (DependsOn, After, Before or Triggers); remove one of these relations.");
            }
            state[target] = false;
            path.Add(target);
            foreach (var predecessor in target.Predecessors.OrderBy(t => t.Order)) Visit(predecessor);
            path.RemoveAt(path.Count - 1);
            state[target] = true;
        }
    }

    /// <summary>The targets to run for <paramref name="invoked"/>, in execution order.</summary>
    public static IReadOnlyList<TargetModel> Plan(IReadOnlyList<TargetModel> invoked)
    {
        var scheduled = new HashSet<TargetModel>();
        var pending = new Stack<TargetModel>(invoked.Reverse());
        while (pending.Count > 0)
        {
            var target = pending.Pop();
            if (!scheduled.Add(target)) continue;
            foreach (var next in target.DependsOn.Concat(target.Triggered)) pending.Push(next);
        }

        // Kahn's algorithm; among ready targets the earliest declared goes first.
        var remaining = scheduled.ToDictionary(t => t, t => t.Predecessors.Count(scheduled.Contains));
        var ready = new SortedSet<TargetModel>(remaining.Where(p => p.Value == 0).Select(p => p.Key), Comparer<TargetModel>.Create((a, b) => a.Order.CompareTo(b.Order)));
        var plan = new List<TargetModel>(scheduled.Count);
        while (ready.Count > 0)
        {
            var next = ready.Min!;
            ready.Remove(next);
            plan.Add(next);
            foreach (var successor in scheduled.Where(t => t.Predecessors.Contains(next)))
                if (--remaining[successor] == 0) ready.Add(successor);
        }
        if (plan.Count != scheduled.Count)
        {
            CheckForCycles([.. scheduled]);
            throw new InvalidOperationException("The plan is incomplete but no cycle was found.");
        }
        return plan;
    }
}
