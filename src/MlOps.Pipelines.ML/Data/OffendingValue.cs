using System.Globalization;
using System.Text;

namespace MlOps.Pipelines.ML.Data;

/// <summary>
/// How every message shows a value that came from a user's file: cut to <see cref="MaxLength"/> characters (the
/// length said when cut, so a 30 KB field stays one readable line) and escaped, so a NUL byte, a control character
/// or a line break cannot reach the terminal or split the message: <c>\0</c> for NUL, <c>\xNN</c> for the other
/// control characters, <c>\uXXXX</c> for invisible format characters and lone surrogates.
/// </summary>
static class OffendingValue
{
    public const int MaxLength = 100;

    /// <summary>The value as messages show it, without quotes.</summary>
    public static string Show(string value, int maxLength = MaxLength)
    {
        var text = new StringBuilder(Math.Min(value.Length, maxLength) + 16);
        var shown = 0;
        for (var i = 0; i < value.Length && shown < maxLength; i++, shown++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                text.Append(c).Append(value[++i]);
                continue;
            }
            if (c == '\0') text.Append("\\0");
            else if (char.IsControl(c)) text.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else if (char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
                text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            else text.Append(c);
        }
        if (shown == maxLength && CountChars(value) is var total && total > maxLength)
            text.Append("… (").Append(total.ToString("N0", CultureInfo.InvariantCulture)).Append(" characters)");
        return text.ToString();
    }

    /// <summary>The value in double quotes, as messages quote it when it sits inside a sentence.</summary>
    public static string Quote(string value) => "\"" + Show(value) + "\"";

    /// <summary>Characters as a reader counts them: a surrogate pair is one.</summary>
    static int CountChars(string value)
    {
        var count = 0;
        for (var i = 0; i < value.Length; i++, count++)
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
        return count;
    }
}
