using System.Globalization;
using System.Text;

namespace MlOps.Pipelines.Tracking.Local;

/// <summary>
/// Doubles as Python's <c>str(float)</c> writes and <c>float(str)</c> reads them (MLflow's metric files): the
/// shortest digits that round-trip, positional when the decimal exponent is in [-4, 16), otherwise
/// <c>d.ddde±XX</c>; <c>.0</c> appended to integral positional values; <c>nan</c>, <c>inf</c>, <c>-inf</c>.
/// </summary>
internal static class PythonFloat
{
    public static string Format(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";

        // .NET's "R" is the shortest round-trip form too; only the layout differs. Take its digits and exponent.
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = shortest.IndexOfAny(['E', 'e']);
        var mantissa = exponentAt < 0 ? shortest : shortest[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(shortest.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var integral = point < 0 ? mantissa : mantissa[..point];
        var digits = (integral + (point < 0 ? "" : mantissa[(point + 1)..])).TrimEnd('0');
        // The value is 0.<digits> × 10^decimalPoint.
        var decimalPoint = integral.Length + exponent;
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits[leadingZeros..];
        decimalPoint -= leadingZeros;

        var text = new StringBuilder();
        if (double.IsNegative(value)) text.Append('-');
        if (digits.Length == 0) return text.Append("0.0").ToString();

        if (decimalPoint is > -4 and <= 16)
        {
            if (decimalPoint <= 0)
                text.Append("0.").Append('0', -decimalPoint).Append(digits);
            else if (decimalPoint < digits.Length)
                text.Append(digits, 0, decimalPoint).Append('.').Append(digits, decimalPoint, digits.Length - decimalPoint);
            else
                text.Append(digits).Append('0', decimalPoint - digits.Length).Append(".0");
        }
        else
        {
            text.Append(digits[0]);
            if (digits.Length > 1) text.Append('.').Append(digits, 1, digits.Length - 1);
            var power = decimalPoint - 1;
            text.Append('e').Append(power < 0 ? '-' : '+').Append(Math.Abs(power).ToString("00", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>Python's <c>float(text)</c> for what metric files hold (also "NaN", "Infinity", "+inf").</summary>
    public static double Parse(string text)
    {
        var trimmed = text.Trim();
        var unsigned = trimmed.TrimStart('+', '-');
        var negative = trimmed.StartsWith('-');
        if (unsigned.Equals("nan", StringComparison.OrdinalIgnoreCase)) return double.NaN;
        if (unsigned.Equals("inf", StringComparison.OrdinalIgnoreCase) || unsigned.Equals("infinity", StringComparison.OrdinalIgnoreCase))
            return negative ? double.NegativeInfinity : double.PositiveInfinity;
        return double.Parse(trimmed.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
