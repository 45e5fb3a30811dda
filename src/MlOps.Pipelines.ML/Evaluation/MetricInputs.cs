namespace MlOps.Pipelines.ML.Evaluation;

/// <summary>Argument checks shared by the metrics, so every metric refuses bad input with the same message.</summary>
internal static class MetricInputs
{
    /// <summary>
    /// Equal, non-zero lengths. An empty set is refused rather than given NaN: a metric of nothing is almost
    /// always a filtering bug upstream, and a NaN in a report hides it.
    /// </summary>
    public static void SameNonEmptyLength(int length, int otherLength, string name, string otherName)
    {
        if (length != otherLength)
            throw new ArgumentException($"{name} has {length} values but {otherName} has {otherLength}; they must pair up row by row.", otherName);
        if (length == 0)
            throw new ArgumentException($"{name} is empty: a metric of no rows is undefined.", name);
    }

    public static void Probabilities(ReadOnlySpan<double> values, string name)
    {
        for (var i = 0; i < values.Length; i++)
            if (!(values[i] >= 0 && values[i] <= 1))
                throw new ArgumentException($"{name}[{i}] is {values[i]}; probabilities must lie in [0, 1].", name);
    }

    public static void NotNaN(ReadOnlySpan<double> values, string name)
    {
        for (var i = 0; i < values.Length; i++)
            if (double.IsNaN(values[i]))
                throw new ArgumentException($"{name}[{i}] is NaN; scores must be numbers to be ranked.", name);
    }

    public static void Finite(ReadOnlySpan<double> values, string name)
    {
        for (var i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] is {values[i]}; values must be finite.", name);
    }

    /// <summary>Codes in [0, <paramref name="count"/>).</summary>
    public static void Codes(ReadOnlySpan<int> codes, int count, string name)
    {
        for (var i = 0; i < codes.Length; i++)
            if ((uint)codes[i] >= (uint)count)
                throw new ArgumentException($"{name}[{i}] is {codes[i]}; class codes must lie in [0, {count}).", name);
    }
}
