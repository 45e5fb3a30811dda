using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Hosting;

namespace MlOps.Pipelines.Parameters;

/// <summary>A parameter's value and where it came from, or why the given text did not convert.</summary>
sealed record BoundParameter(ParameterModel Parameter, string Source, object? Value, string? Error)
{
    public bool IsDefault => Source == ParameterBinder.DefaultSource;
}

/// <summary>
/// Finds each parameter's value in its sources, highest first: command line, environment, profile file,
/// <c>parameters.json</c>, then the member's initial value. Binding never throws for a bad value: the error
/// is returned, so <c>--help</c> can still show everything and a run can report every bad value at once.
/// </summary>
sealed class ParameterBinder(
    IReadOnlyDictionary<string, IReadOnlyList<string>> commandLine,
    IReadOnlyDictionary<string, string> environment,
    IReadOnlyList<ParameterFile> files,
    string workingDirectory,
    AbsolutePath root)
{
    public const string DefaultSource = "default";

    public BoundParameter Bind(ParameterModel parameter) => InRange(
        FromCommandLine(parameter)
        ?? FromEnvironment(parameter)
        ?? files.Select(file => FromFile(parameter, file)).FirstOrDefault(bound => bound is not null)
        ?? new BoundParameter(parameter, DefaultSource, parameter.DefaultValue, null));

    /// <summary>A value outside the parameter's declared range becomes its error, naming the option and the range.</summary>
    static BoundParameter InRange(BoundParameter bound)
    {
        var parameter = bound.Parameter;
        if (bound.Error is not null || parameter.Range is not { } range || range.FirstOutside(bound.Value) is not { } outside) return bound;
        var shown = parameter.IsSecret ? "***" : System.Convert.ToString(outside, System.Globalization.CultureInfo.InvariantCulture);
        var from = bound.Source.StartsWith("command line", StringComparison.Ordinal) ? "" : $" (from {bound.Source})";
        return bound with { Value = null, Error = $"--{parameter.CliName} {shown}{from} is out of range; expected {range}." };
    }

    BoundParameter? FromCommandLine(ParameterModel parameter) =>
        commandLine.TryGetValue(parameter.CliName, out var values)
            ? Convert(parameter, values, $"command line --{parameter.CliName}", workingDirectory)
            : null;

    BoundParameter? FromEnvironment(ParameterModel parameter)
    {
        if (HostSettings.NotFromEnvironment.Contains(parameter.MemberName) && parameter.OwnerName is null) return null;
        if (!environment.TryGetValue(parameter.EnvironmentName, out var text) || text.Length == 0) return null;
        // Arrays in one variable are separated by white space.
        IReadOnlyList<string> values = parameter.Type.IsArray ? text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) : [text];
        return Convert(parameter, values, $"environment {parameter.EnvironmentName}", workingDirectory);
    }

    BoundParameter? FromFile(ParameterModel parameter, ParameterFile file)
    {
        if (!file.Values.TryGetValue(parameter.MemberName, out var element)) return null;
        IReadOnlyList<string>? values;
        try
        {
            values = ParameterFile.ToValues(element);
        }
        catch (FormatException e)
        {
            return new BoundParameter(parameter, file.DisplayPath, null,
                $"Parameter '{parameter.MemberName}' (from {file.DisplayPath}): {e.Message}; expected {ValueConverter.Describe(parameter.Type)}.");
        }
        if (values is null)
        {
            var nullable = !parameter.Type.IsValueType || Nullable.GetUnderlyingType(parameter.Type) is not null;
            return nullable
                ? new BoundParameter(parameter, file.DisplayPath, null, null)
                : new BoundParameter(parameter, file.DisplayPath, null,
                    $"Parameter '{parameter.MemberName}' (from {file.DisplayPath}): null is not valid; expected {ValueConverter.Describe(parameter.Type)}.");
        }
        return Convert(parameter, values, file.DisplayPath, root);
    }

    static BoundParameter Convert(ParameterModel parameter, IReadOnlyList<string> values, string source, string baseDirectory)
    {
        try
        {
            return new BoundParameter(parameter, source, ValueConverter.Convert(values, parameter.Type, baseDirectory), null);
        }
        catch (FormatException e)
        {
            var shown = parameter.IsSecret ? "***" : string.Join(" ", values);
            return new BoundParameter(parameter, source, null,
                $"Parameter '{parameter.MemberName}' (from {source}): '{shown}' is not valid; {e.Message}.");
        }
    }
}
