using System.Globalization;
using System.Text;

namespace MlOps.Pipelines.Output;

/// <summary>
/// Everything the engine prints goes through here: verbosity filtering, secret masking, colours only on a
/// terminal without <c>NO_COLOR</c>, and GitHub Actions workflow commands when running there.
/// </summary>
sealed class ConsoleOutput(TextWriter writer, bool colors, bool gitHubActions, SecretMasker masker)
{
    /// <summary>The same settings writing elsewhere (a target's channel of <see cref="OrderedOutput"/>).</summary>
    public ConsoleOutput WithWriter(TextWriter other) => new(other, colors, GitHubActions, Masker) { Verbosity = Verbosity };

    public TextWriter Writer => writer;

    readonly Lock _lock = new();

    public Verbosity Verbosity { get; set; } = Verbosity.Normal;
    public bool GitHubActions { get; } = gitHubActions;
    public SecretMasker Masker { get; } = masker;

    public void Line(string text = "", Style style = Style.Plain, Verbosity minimum = Verbosity.Normal)
    {
        if (Verbosity < minimum) return;
        Write(Paint(Masker.Apply(text), style));
    }

    public void Log(LogLevel level, string text)
    {
        var masked = Masker.Apply(text);
        switch (level)
        {
            case LogLevel.Debug when Verbosity >= Verbosity.Verbose:
                Write(Paint(masked, Style.Dim));
                break;
            case LogLevel.Info when Verbosity >= Verbosity.Normal:
                Write(masked);
                break;
            case LogLevel.Warning when Verbosity >= Verbosity.Minimal:
                Write(GitHubActions ? "::warning::" + Escape(masked) : Paint("warning: " + masked, Style.Warning));
                break;
            case LogLevel.Error:
                Write(GitHubActions ? "::error::" + Escape(masked) : Paint("error: " + masked, Style.Error));
                break;
        }
    }

    public void BeginTarget(string name)
    {
        if (Verbosity < Verbosity.Normal) return;
        Write(GitHubActions ? "::group::" + name : Paint($"── {name} " + new string('─', Math.Max(3, 60 - name.Length)), Style.Heading));
    }

    public void EndTarget(string name, string result, Style style)
    {
        if (Verbosity < Verbosity.Normal) return;
        if (GitHubActions) Write("::endgroup::");
        else Write(Paint($"── {name} {result}", style));
        Write("");
    }

    /// <summary>A failed target, as an annotation on GitHub Actions and an error line elsewhere.</summary>
    public void TargetFailure(string name, string message)
    {
        var masked = Masker.Apply(message);
        Write(GitHubActions
            ? $"::error title={Escape(name)} failed::{Escape(masked)}"
            : Paint($"error: {name} failed: {masked}", Style.Error));
    }

    public string Paint(string text, Style style)
    {
        if (!colors || style == Style.Plain || text.Length == 0) return text;
        var code = style switch
        {
            Style.Heading => "1;36",
            Style.Success => "32",
            Style.Warning => "33",
            Style.Error => "31",
            Style.Dim => "2",
            Style.Bold => "1",
            _ => "0",
        };
        return $"\u001b[{code}m{text}\u001b[0m";
    }

    void Write(string line)
    {
        lock (_lock) writer.WriteLine(line);
    }

    /// <summary>Workflow command data escaping (GitHub's toolkit: '%', CR and LF are percent-encoded).</summary>
    static string Escape(string text) =>
        text.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    public static string FormatDuration(TimeSpan duration) => duration.TotalSeconds < 60
        ? duration.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s"
        : $"{(int)duration.TotalMinutes}:{duration.Seconds:00} min";

    /// <summary>Renders rows as aligned columns; the last column is not padded.</summary>
    public static IEnumerable<string> Columns(IReadOnlyList<string[]> rows, string separator = "  ")
    {
        if (rows.Count == 0) yield break;
        var widths = new int[rows.Max(r => r.Length)];
        foreach (var row in rows)
            for (var i = 0; i < row.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                if (i > 0) line.Append(separator);
                line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i]));
            }
            yield return line.ToString().TrimEnd();
        }
    }
}

enum Style
{
    Plain,
    Heading,
    Success,
    Warning,
    Error,
    Dim,
    Bold,
}
