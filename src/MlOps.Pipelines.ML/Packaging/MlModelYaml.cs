using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MlOps.Pipelines.ML.Packaging;

/// <summary>
/// Writes the MLmodel file as MLflow does (PyYAML <c>safe_dump</c>, <c>default_flow_style=False</c>,
/// <c>sort_keys=True</c>): block mappings indented by two, keys sorted, <c>null</c>/<c>true</c>/<c>false</c>,
/// strings plain unless YAML 1.1 would read them as something else or they start or contain an indicator (then
/// <c>'single quoted'</c>), and long scalars folded at a space past column 80 with the continuation indented
/// under the key — as PyYAML's emitter does, so the file is byte-identical to one MLflow writes.
/// </summary>
/// <remarks>
/// Only what an MLmodel needs: values are null, bool, int, long, string or a nested
/// <see cref="IReadOnlyDictionary{TKey, TValue}"/> of string to object; keys are simple identifiers; strings are
/// printable ASCII on one line (the JSON strings are ASCII-escaped), which never need double quotes.
/// </remarks>
internal static partial class MlModelYaml
{
    const int BestWidth = 80;
    const int Indent = 2;

    public static string Write(IReadOnlyDictionary<string, object?> mapping)
    {
        var output = new StringBuilder();
        Mapping(output, mapping, 0);
        return output.ToString();
    }

    static void Mapping(StringBuilder output, IReadOnlyDictionary<string, object?> mapping, int indent)
    {
        foreach (var (key, value) in mapping.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!SimpleKey().IsMatch(key)) throw new ArgumentException($"'{key}' is not a simple key.", nameof(mapping));
            output.Append(' ', indent).Append(key).Append(':');
            switch (value)
            {
                case IReadOnlyDictionary<string, object?> { Count: > 0 } nested:
                    output.Append('\n');
                    Mapping(output, nested, indent + Indent);
                    continue;
                case IReadOnlyDictionary<string, object?>: output.Append(" {}"); break;
                case null: output.Append(" null"); break;
                case bool flag: output.Append(flag ? " true" : " false"); break;
                case int or long: output.Append(' ').Append(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
                case string text: Scalar(output, text, column: indent + key.Length + 1, indent + Indent); break;
                default: throw new ArgumentException($"Cannot write a {value.GetType().Name} in an MLmodel file.", nameof(mapping));
            }
            output.Append('\n');
        }
    }

    /// <summary>Writes " value" after a key ending at <paramref name="column"/>; folded lines start at <paramref name="indent"/>.</summary>
    static void Scalar(StringBuilder output, string text, int column, int indent)
    {
        if (text.Any(c => c is < ' ' or > '~')) throw new ArgumentException("MLmodel strings must be printable ASCII on one line.", nameof(text));
        var quoted = !PlainAllowed(text) || !ResolvesToString(text);
        output.Append(' ');
        column++;
        if (quoted)
        {
            output.Append('\'');
            column++;
        }
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            // The emitter breaks at a lone inner space once past the width; a reader folds the break back into that space.
            if (c == ' ' && column > BestWidth && i > 0 && i < text.Length - 1 && text[i - 1] != ' ' && text[i + 1] != ' ')
            {
                output.Append('\n').Append(' ', indent);
                column = indent;
                continue;
            }
            if (c == '\'' && quoted)
            {
                output.Append('\'');
                column++;
            }
            output.Append(c);
            column++;
        }
        if (quoted) output.Append('\'');
    }

    /// <summary>libyaml's test for a plain block scalar, narrowed to one-line printable ASCII.</summary>
    static bool PlainAllowed(string s)
    {
        if (s.Length == 0 || s[0] == ' ' || s[^1] == ' ') return false;
        if (s.StartsWith("---", StringComparison.Ordinal) || s.StartsWith("...", StringComparison.Ordinal)) return false;
        if ("#,[]{}&*!|>'\"%@`".Contains(s[0], StringComparison.Ordinal)) return false;
        if (s[0] is '?' or ':' or '-' && (s.Length == 1 || s[1] == ' ')) return false;
        for (var i = 1; i < s.Length; i++)
        {
            if (s[i] == ':' && (i == s.Length - 1 || s[i + 1] == ' ')) return false;
            if (s[i] == '#' && s[i - 1] == ' ') return false;
        }
        return true;
    }

    /// <summary>True when PyYAML reads <paramref name="value"/>, unquoted, as a string (not a number, bool, null or date).</summary>
    static bool ResolvesToString(string value) => value.Length > 0 && !Implicit().IsMatch(value);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex SimpleKey();

    // PyYAML's implicit resolvers for bool, float, int, merge, null, timestamp and value.
    [GeneratedRegex("""
        ^(?:
          (?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)
        | (?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))
        | (?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)
        | (?:<<)
        | (?:~|null|Null|NULL)
        | (?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[\ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)
        | (?:=)
        )\z
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex Implicit();
}
