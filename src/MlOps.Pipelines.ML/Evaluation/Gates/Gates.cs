using System.Globalization;

namespace MlOps.Pipelines.ML.Evaluation;

/// <summary>
/// Quality gates a model must pass to be blessed for deployment: value thresholds on its metrics, change thresholds
/// against the champion (the model the registry alias points to), and thresholds every slice must meet.
/// </summary>
/// <remarks>
/// <para>Declared once, fluently; <see cref="Evaluate"/> then judges one model's metrics and returns a
/// <see cref="Blessing"/> with every metric and every gate's verdict and reason, in declaration order.</para>
/// <para>Semantics: a missing or NaN metric fails a value or slice gate (a model that cannot show it meets a bar
/// does not meet it). A change gate is skipped, and does not block, when there is no champion or the champion
/// lacks that metric (or has it as NaN): the first model has nothing to be compared with. A slice gate checks
/// every slice with at least <c>minRows</c> rows and lists every failing one, ordered by key; when no slice is
/// large enough it is skipped.</para>
/// <para>Gates know nothing of splits; <see cref="Define"/>'s <c>split</c> only names them ("test roc_auc at least 0.65").</para>
/// </remarks>
/// <example>
/// <code>
/// var gates = Gates.Define("test")
///     .AtLeast("roc_auc", 0.65)
///     .NotWorseThanChampion("roc_auc", 0.005)
///     .ForEverySlice("origin", "roc_auc", atLeast: 0.55, minRows: 200);
/// var blessing = gates.Evaluate(metrics, champion, new Dictionary&lt;string, IReadOnlyList&lt;SliceValue&gt;&gt; { ["origin"] = SliceValue.FromBinary(slices) });
/// if (!blessing.Blessed) foreach (var line in blessing.FailedGatesTable()) Console.WriteLine(line);
/// </code>
/// </example>
public sealed class Gates
{
    readonly string? _split;
    readonly List<Gate> _gates = [];

    Gates(string? split) => _split = string.IsNullOrWhiteSpace(split) ? null : split;

    /// <summary>Starts a declaration with no gates.</summary>
    /// <param name="split">The split the metrics come from (e.g. <c>test</c>), used only in the gates' names; null for none.</param>
    public static Gates Define(string? split = null) => new(split);

    /// <summary>The names of the declared gates, in declaration order.</summary>
    public IReadOnlyList<string> Names => [.. _gates.Select(g => g.Name)];

    /// <summary>The metric must be at least <paramref name="threshold"/> (for scores: AUC, F1…).</summary>
    /// <param name="metric">The metric's name, as in the metrics given to <see cref="Evaluate"/>.</param>
    /// <param name="threshold">The lowest passing value.</param>
    public Gates AtLeast(string metric, double threshold) => Add(new ValueGate(Prefix(metric), metric, threshold, HigherIsBetter: true), metric, threshold);

    /// <summary>The metric must be at most <paramref name="threshold"/> (for losses: log loss, Brier, RMSE…).</summary>
    /// <param name="metric">The metric's name, as in the metrics given to <see cref="Evaluate"/>.</param>
    /// <param name="threshold">The highest passing value.</param>
    public Gates AtMost(string metric, double threshold) => Add(new ValueGate(Prefix(metric), metric, threshold, HigherIsBetter: false), metric, threshold);

    /// <summary>
    /// The metric may be worse than the champion's by at most <paramref name="tolerance"/>: at least champion − tolerance
    /// when higher is better, at most champion + tolerance otherwise. Skipped when there is no champion value.
    /// </summary>
    /// <param name="metric">The metric's name, in both the model's and the champion's metrics.</param>
    /// <param name="tolerance">How much worse is still acceptable; zero or more.</param>
    /// <param name="higherIsBetter">False for losses.</param>
    public Gates NotWorseThanChampion(string metric, double tolerance = 0, bool higherIsBetter = true)
    {
        if (!double.IsFinite(tolerance) || tolerance < 0)
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance must be a finite number, zero or more.");
        return Add(new ChangeGate(Prefix(metric), metric, tolerance, higherIsBetter), metric, 0);
    }

    /// <summary>
    /// Every slice of <paramref name="dimension"/> with at least <paramref name="minRows"/> rows must have the metric
    /// at least <paramref name="atLeast"/> or at most <paramref name="atMost"/> (give exactly one).
    /// </summary>
    /// <param name="dimension">The slice dimension (e.g. <c>origin</c>), a key of the slices given to <see cref="Evaluate"/>.</param>
    /// <param name="metric">The metric's name, as in each slice's metrics.</param>
    /// <param name="atLeast">The lowest passing value, for scores.</param>
    /// <param name="atMost">The highest passing value, for losses.</param>
    /// <param name="minRows">Smaller slices are not judged: their metrics are noise.</param>
    public Gates ForEverySlice(string dimension, string metric, double? atLeast = null, double? atMost = null, int minRows = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dimension);
        ArgumentOutOfRangeException.ThrowIfLessThan(minRows, 1);
        if (atLeast.HasValue == atMost.HasValue)
            throw new ArgumentException("Give exactly one of atLeast and atMost.", atLeast.HasValue ? nameof(atMost) : nameof(atLeast));
        var higherIsBetter = atLeast.HasValue;
        var threshold = atLeast ?? atMost!.Value;
        var name = $"{Prefix(metric)} {(higherIsBetter ? "at least" : "at most")} {GateFormat.Number(threshold)} in every {dimension} slice"
            + (minRows > 1 ? $" of {GateFormat.Rows(minRows)}+ rows" : "");
        return Add(new SliceGate(name, metric, dimension, threshold, higherIsBetter, minRows), metric, threshold);
    }

    /// <summary>Judges one model against every gate.</summary>
    /// <param name="metrics">The model's overall metrics by name.</param>
    /// <param name="champion">The champion's metrics by name; null when there is no champion.</param>
    /// <param name="slices">Per slice dimension, the slices' metrics; null when none were computed (slice gates then fail).</param>
    /// <returns>The blessing: blessed when no gate failed (skipped gates do not block; no gates blesses).</returns>
    public Blessing Evaluate(IReadOnlyDictionary<string, double> metrics, IReadOnlyDictionary<string, double>? champion = null,
        IReadOnlyDictionary<string, IReadOnlyList<SliceValue>>? slices = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var verdicts = _gates.Select(g => g.Evaluate(metrics, champion, slices)).ToList();
        return new Blessing(
            verdicts.TrueForAll(v => !v.Failed),
            new SortedDictionary<string, double>(metrics.ToDictionary(), StringComparer.Ordinal),
            champion is null ? null : new SortedDictionary<string, double>(champion.ToDictionary(), StringComparer.Ordinal),
            verdicts);
    }

    string Prefix(string metric) => _split is null ? metric : $"{_split} {metric}";

    Gates Add(Gate gate, string metric, double threshold)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        if (!double.IsFinite(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a finite number.");
        _gates.Add(gate);
        return this;
    }

    abstract record Gate(string Name, string Metric)
    {
        public abstract GateVerdict Evaluate(IReadOnlyDictionary<string, double> metrics, IReadOnlyDictionary<string, double>? champion,
            IReadOnlyDictionary<string, IReadOnlyList<SliceValue>>? slices);

        /// <summary>"0.6123 &lt; 0.65" when the value fails, "0.7 ≥ 0.65" style (ASCII) when it passes.</summary>
        protected static (bool Passed, string Comparison) Compare(double value, double threshold, bool higherIsBetter)
        {
            var passed = higherIsBetter ? value >= threshold : value <= threshold;
            var op = (higherIsBetter, passed) switch { (true, true) => ">=", (true, false) => "<", (false, true) => "<=", (false, false) => ">" };
            return (passed, $"{GateFormat.Number(value)} {op} {GateFormat.Number(threshold)}");
        }
    }

    sealed record ValueGate(string Prefix, string Metric, double Threshold, bool HigherIsBetter)
        : Gate($"{Prefix} {(HigherIsBetter ? "at least" : "at most")} {GateFormat.Number(Threshold)}", Metric)
    {
        public override GateVerdict Evaluate(IReadOnlyDictionary<string, double> metrics, IReadOnlyDictionary<string, double>? champion,
            IReadOnlyDictionary<string, IReadOnlyList<SliceValue>>? slices)
        {
            if (!metrics.TryGetValue(Metric, out var value))
                return Verdict(double.NaN, false, $"no {Metric} metric");
            if (double.IsNaN(value))
                return Verdict(value, false, $"{Metric} is NaN");
            var (passed, comparison) = Compare(value, Threshold, HigherIsBetter);
            return Verdict(value, passed, comparison);
        }

        GateVerdict Verdict(double value, bool passed, string reason) =>
            new(Name, GateKind.Value, Metric, value, Threshold, passed, false, reason);
    }

    sealed record ChangeGate(string Prefix, string Metric, double Tolerance, bool HigherIsBetter)
        : Gate($"{Prefix} not {(HigherIsBetter ? "below" : "above")} champion {(HigherIsBetter ? "-" : "+")} {GateFormat.Number(Tolerance)}", Metric)
    {
        public override GateVerdict Evaluate(IReadOnlyDictionary<string, double> metrics, IReadOnlyDictionary<string, double>? champion,
            IReadOnlyDictionary<string, IReadOnlyList<SliceValue>>? slices)
        {
            var present = metrics.TryGetValue(Metric, out var value);
            if (!present) value = double.NaN;
            if (champion is null)
                return Verdict(value, double.NaN, false, true, "no champion: skipped");
            if (!champion.TryGetValue(Metric, out var best))
                return Verdict(value, double.NaN, false, true, $"champion has no {Metric}: skipped");
            if (double.IsNaN(best))
                return Verdict(value, double.NaN, false, true, $"champion {Metric} is NaN: skipped");
            var threshold = HigherIsBetter ? best - Tolerance : best + Tolerance;
            if (!present)
                return Verdict(value, threshold, false, false, $"no {Metric} metric");
            if (double.IsNaN(value))
                return Verdict(value, threshold, false, false, $"{Metric} is NaN");
            var (passed, comparison) = Compare(value, threshold, HigherIsBetter);
            return Verdict(value, threshold, passed, false, $"{comparison} (champion {GateFormat.Number(best)})");
        }

        GateVerdict Verdict(double value, double threshold, bool passed, bool skipped, string reason) =>
            new(Name, GateKind.Change, Metric, value, threshold, passed, skipped, reason);
    }

    sealed record SliceGate(string Name, string Metric, string Dimension, double Threshold, bool HigherIsBetter, int MinRows) : Gate(Name, Metric)
    {
        public override GateVerdict Evaluate(IReadOnlyDictionary<string, double> metrics, IReadOnlyDictionary<string, double>? champion,
            IReadOnlyDictionary<string, IReadOnlyList<SliceValue>>? slices)
        {
            if (slices is null || !slices.TryGetValue(Dimension, out var values) || values is null)
                return Verdict(double.NaN, false, false, $"no {Dimension} slices");
            var judged = values.Where(s => s.Rows >= MinRows).OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
            var small = values.Count - judged.Count;
            if (judged.Count == 0)
                return Verdict(double.NaN, false, true, $"no {Dimension} slice has {GateFormat.Rows(MinRows)}+ rows: skipped");

            var failures = new List<string>();
            var worst = double.NaN;
            var worstKey = "";
            foreach (var slice in judged)
            {
                var rows = $"({GateFormat.Rows(slice.Rows)} rows)";
                if (!slice.Metrics.TryGetValue(Metric, out var value))
                {
                    failures.Add($"slice {slice.Key}: no {Metric} {rows}");
                    continue;
                }
                if (double.IsNaN(value))
                {
                    failures.Add($"slice {slice.Key}: {Metric} is NaN {rows}");
                    continue;
                }
                if (double.IsNaN(worst) || (HigherIsBetter ? value < worst : value > worst))
                    (worst, worstKey) = (value, slice.Key);
                var (passed, comparison) = Compare(value, Threshold, HigherIsBetter);
                if (!passed) failures.Add($"slice {slice.Key}: {comparison} {rows}");
            }
            var skippedNote = small > 0 ? $"; {small} under {GateFormat.Rows(MinRows)} rows skipped" : "";
            if (failures.Count > 0)
                return Verdict(worst, false, false, string.Join("; ", failures) + skippedNote);
            return Verdict(worst, true, false, $"{judged.Count} slices pass, worst {worstKey} {GateFormat.Number(worst)}{skippedNote}");
        }

        GateVerdict Verdict(double worst, bool passed, bool skipped, string reason) =>
            new(Name, GateKind.Slice, Metric, worst, Threshold, passed, skipped, reason) { Dimension = Dimension };
    }
}

/// <summary>How gates write numbers: invariant, short, stable.</summary>
static class GateFormat
{
    /// <summary>Up to four decimals ("0.6123", "0.65", "1234.5"); tiny values in exponent form; "NaN" for NaN.</summary>
    public static string Number(double value) =>
        double.IsNaN(value) ? "NaN"
        : value != 0 && Math.Abs(value) < 1e-4 ? value.ToString("G4", CultureInfo.InvariantCulture)
        : value.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>Row counts with thousands separators: "1,204".</summary>
    public static string Rows(int rows) => rows.ToString("N0", CultureInfo.InvariantCulture);
}
