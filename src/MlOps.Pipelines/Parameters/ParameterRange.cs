using System.Globalization;

namespace MlOps.Pipelines.Parameters;

/// <summary>
/// The values a numeric parameter allows, as declared on its <see cref="ParameterAttribute"/>: each bound inclusive or
/// exclusive, either side open. NaN (and, for a double, infinity) is outside every range that has a bound.
/// </summary>
sealed record ParameterRange(double? Minimum, double? Maximum, bool MinimumExclusive, bool MaximumExclusive)
{
    /// <summary>The declared range, or null when none is declared; a declaration that cannot hold is the pipeline author's mistake.</summary>
    public static ParameterRange? Of(ParameterAttribute attribute, Type type, string memberName)
    {
        if (!double.IsNaN(attribute.Minimum) && !double.IsNaN(attribute.ExclusiveMinimum))
            throw new Hosting.UsageException($"Parameter '{memberName}' declares both Minimum and ExclusiveMinimum; keep one.");
        if (!double.IsNaN(attribute.Maximum) && !double.IsNaN(attribute.ExclusiveMaximum))
            throw new Hosting.UsageException($"Parameter '{memberName}' declares both Maximum and ExclusiveMaximum; keep one.");
        var minimumExclusive = !double.IsNaN(attribute.ExclusiveMinimum);
        var maximumExclusive = !double.IsNaN(attribute.ExclusiveMaximum);
        double? minimum = minimumExclusive ? attribute.ExclusiveMinimum : double.IsNaN(attribute.Minimum) ? null : attribute.Minimum;
        double? maximum = maximumExclusive ? attribute.ExclusiveMaximum : double.IsNaN(attribute.Maximum) ? null : attribute.Maximum;
        if (minimum is null && maximum is null) return null;
        var element = Nullable.GetUnderlyingType(type.IsArray ? type.GetElementType()! : type) ?? (type.IsArray ? type.GetElementType()! : type);
        if (element != typeof(int) && element != typeof(long) && element != typeof(double))
            throw new Hosting.UsageException($"Parameter '{memberName}' has type {type.Name} but declares a range; only int, long and double parameters (or arrays of them) can.");
        var range = new ParameterRange(minimum, maximum, minimumExclusive, maximumExclusive);
        if (minimum > maximum || (minimum == maximum && (minimumExclusive || maximumExclusive)))
            throw new Hosting.UsageException($"Parameter '{memberName}' declares a range no value fits: {range}.");
        return range;
    }

    public bool Contains(double value) =>
        !double.IsNaN(value)
        && (Minimum is not { } low || (MinimumExclusive ? value > low : value >= low))
        && (Maximum is not { } high || (MaximumExclusive ? value < high : value <= high));

    /// <summary>The first value of <paramref name="value"/> (one number, or an array of them) outside the range, or null.</summary>
    public object? FirstOutside(object? value) => value switch
    {
        null => null,
        Array array => array.Cast<object?>().FirstOrDefault(item => item is not null && !Contains(Convert.ToDouble(item, CultureInfo.InvariantCulture))),
        _ => Contains(Convert.ToDouble(value, CultureInfo.InvariantCulture)) ? null : value,
    };

    /// <summary>"at least 1", "greater than 0 and less than 1", "from 0 to 30".</summary>
    public override string ToString()
    {
        static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
        return (Minimum, Maximum) switch
        {
            ({ } low, { } high) when !MinimumExclusive && !MaximumExclusive => $"from {Number(low)} to {Number(high)}",
            ({ } low, { } high) => $"{Low(low)} and {High(high)}",
            ({ } low, null) => Low(low),
            (null, { } high) => High(high),
            _ => "any value",
        };

        string Low(double low) => MinimumExclusive ? $"greater than {Number(low)}" : $"at least {Number(low)}";
        string High(double high) => MaximumExclusive ? $"less than {Number(high)}" : $"at most {Number(high)}";
    }
}
