using System.Globalization;
using System.Text;

namespace MlOps.Pipelines.ML.Packaging;

/// <summary>
/// JSON as Python's <c>json.dumps</c> writes it with default settings — ", " and ": " separators, non-ASCII
/// escaped, floats in <c>repr</c> form (<c>1.0</c>, <c>1e-05</c>, <c>NaN</c>) — because MLflow stores the
/// signature and the input example that way and its readers compare the strings.
/// </summary>
/// <remarks>
/// Values: null, bool, string, int, long, float, double, <see cref="DateTime"/> (ISO text, as MLflow's encoder
/// writes timestamps), <see cref="Obj"/> (keys in the given order) and any other <see cref="System.Collections.IEnumerable"/> (a list).
/// </remarks>
internal static class PythonJson
{
    /// <summary>A JSON object whose keys keep the order given.</summary>
    public sealed record Obj(params (string Key, object? Value)[] Members);

    public static string Write(object? value)
    {
        var output = new StringBuilder();
        Append(output, value);
        return output.ToString();
    }

    static void Append(StringBuilder output, object? value)
    {
        switch (value)
        {
            case null: output.Append("null"); break;
            case bool flag: output.Append(flag ? "true" : "false"); break;
            case string text: AppendString(output, text); break;
            case int or long: output.Append(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            case float single: output.Append(FloatRepr(single)); break;
            case double number: output.Append(FloatRepr(number)); break;
            case DateTime time: AppendString(output, time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)); break;
            case Obj obj:
                output.Append('{');
                for (var i = 0; i < obj.Members.Length; i++)
                {
                    if (i > 0) output.Append(", ");
                    AppendString(output, obj.Members[i].Key);
                    output.Append(": ");
                    Append(output, obj.Members[i].Value);
                }
                output.Append('}');
                break;
            case System.Collections.IEnumerable items:
                output.Append('[');
                var first = true;
                foreach (var item in items)
                {
                    if (!first) output.Append(", ");
                    first = false;
                    Append(output, item);
                }
                output.Append(']');
                break;
            default:
                throw new ArgumentException($"Cannot write a {value.GetType().Name} as JSON.", nameof(value));
        }
    }

    static void AppendString(StringBuilder output, string text)
    {
        output.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                // ensure_ascii: everything outside ' ' … '~' (controls, DEL, non-ASCII) as \uXXXX (UTF-16 units, as Python writes them).
                case < ' ' or > '~': output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: output.Append(c); break;
            }
        }
        output.Append('"');
    }

    /// <summary>Python's <c>repr(float)</c>: the shortest round-trip digits, fixed notation for exponents −4 … 15, else d.ddde±XX.</summary>
    internal static string FloatRepr(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsInfinity(value)) return value > 0 ? "Infinity" : "-Infinity";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        // .NET's "R" gives the same shortest digits as Python; only the layout differs.
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var sign = text[0] == '-' ? "-" : "";
        text = text.TrimStart('-');
        var exponentAt = text.IndexOf('E', StringComparison.Ordinal);
        var exponent = exponentAt < 0 ? 0 : int.Parse(text[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mantissa = exponentAt < 0 ? text : text[..exponentAt];
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = mantissa.Replace(".", "", StringComparison.Ordinal);
        var pointAt = (point < 0 ? mantissa.Length : point) + exponent; // value = 0.digits × 10^pointAt
        var leading = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        pointAt -= leading;
        var scientific = pointAt - 1;
        if (scientific is >= -4 and < 16)
        {
            if (pointAt <= 0) return sign + "0." + new string('0', -pointAt) + digits;
            if (pointAt >= digits.Length) return sign + digits + new string('0', pointAt - digits.Length) + ".0";
            return sign + digits[..pointAt] + "." + digits[pointAt..];
        }
        var fraction = digits.Length > 1 ? "." + digits[1..] : "";
        return sign + digits[0] + fraction + "e" + (scientific < 0 ? "-" : "+") + Math.Abs(scientific).ToString("00", CultureInfo.InvariantCulture);
    }
}
