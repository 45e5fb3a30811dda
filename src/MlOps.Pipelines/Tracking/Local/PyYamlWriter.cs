using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MlOps.Pipelines.Tracking.Local;

/// <summary>
/// Writes a mapping the way MLflow's <c>write_yaml</c> does: <c>yaml.dump(data, Dumper=CSafeDumper,
/// default_flow_style=False, allow_unicode=True, sort_keys=True)</c>. Block style, keys sorted by code point,
/// <c>null</c> for None, <c>[]</c>/<c>{}</c> when empty, indentless <c>- item</c> lists, nested mappings indented by two.
/// Strings are plain unless YAML 1.1 would read them as something else (numbers, booleans, null, dates: then
/// <c>'quoted'</c>, e.g. <c>''</c> and <c>'0'</c>) or they need quoting (indicators, leading/trailing spaces, line
/// breaks); control characters force <c>"double quotes"</c> with escapes. Long lines fold at a space past column
/// 80, as libyaml's emitter does.
/// </summary>
/// <remarks>
/// Values: null, string, bool, int, long, <see cref="IEnumerable{T}"/> of string (a list), or
/// <see cref="IReadOnlyDictionary{TKey,TValue}"/> of string to string (a nested mapping).
/// </remarks>
internal static partial class PyYamlWriter
{
    const int BestWidth = 80;
    const int BestIndent = 2;

    public static string Write(IEnumerable<KeyValuePair<string, object?>> mapping)
    {
        var emitter = new Emitter();
        emitter.BlockMapping(mapping.Select(p => (p.Key, p.Value)), indent: 0);
        return emitter.Finish();
    }

    /// <summary>Python's ordering of str keys: by code point (differs from ordinal UTF-16 only around surrogates).</summary>
    internal static int CompareCodePoints(string? left, string? right)
    {
        if (ReferenceEquals(left, right)) return 0;
        if (left is null) return -1;
        if (right is null) return 1;
        var a = CodePointsOf(left);
        var b = CodePointsOf(right);
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
            if (a[i] != b[i]) return a[i].CompareTo(b[i]);
        return a.Length.CompareTo(b.Length);
    }

    /// <summary>True when YAML 1.1 (PyYAML's resolver) reads <paramref name="value"/>, unquoted, as a plain string.</summary>
    internal static bool ResolvesToString(string value) => value.Length > 0 && !Implicit().IsMatch(value);

    // PyYAML's implicit resolvers (bool, float, int, merge, null, timestamp, value), anchored as re.match with '$' does.
    [GeneratedRegex("""
        ^(?:
          (?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)
        | (?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))
        | (?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)
        | (?:<<)
        | (?:~|null|Null|NULL)
        | (?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[\ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)
        | (?:=)
        )\n?\z
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex Implicit();

    static int[] CodePointsOf(string text)
    {
        var points = new List<int>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsSurrogatePair(text, i))
            {
                points.Add(char.ConvertToUtf32(text[i], text[i + 1]));
                i++;
            }
            else points.Add(text[i]);
        }
        return [.. points];
    }

    static bool IsBreak(int c) => c is '\r' or '\n' or 0x85 or 0x2028 or 0x2029;

    static bool IsBlankOrEnd(int[] s, int i) => i >= s.Length || s[i] is ' ' or '\t' || IsBreak(s[i]);

    // libyaml's IS_PRINTABLE.
    static bool IsPrintable(int c) =>
        c == '\n' || c is >= 0x20 and <= 0x7E || c is >= 0xA0 and <= 0xD7FF || (c is >= 0xE000 and <= 0xFFFD && c != 0xFEFF);

    enum Style { Plain, Single, Double }

    sealed record Analysis(bool Empty, bool Multiline, bool BlockPlainAllowed, bool SingleQuotedAllowed, int Utf8Length);

    // libyaml's yaml_emitter_analyze_scalar (block context: flow-plain and block styles are not needed).
    static Analysis Analyze(int[] s, string text)
    {
        var utf8Length = Encoding.UTF8.GetByteCount(text);
        if (s.Length == 0) return new Analysis(true, false, true, true, 0);

        bool blockIndicators = false, lineBreaks = false, special = false;
        bool leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false, breakSpace = false, spaceBreak = false;
        bool previousSpace = false, previousBreak = false;
        if (s.Length >= 3 && ((s[0] == '-' && s[1] == '-' && s[2] == '-') || (s[0] == '.' && s[1] == '.' && s[2] == '.')))
            blockIndicators = true;
        var precededByWhitespace = true;
        var followedByWhitespace = IsBlankOrEnd(s, 1);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (i == 0)
            {
                if (c is '#' or ',' or '[' or ']' or '{' or '}' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`')
                    blockIndicators = true;
                if (c is '?' or ':' && followedByWhitespace) blockIndicators = true;
                if (c == '-' && followedByWhitespace) blockIndicators = true;
            }
            else
            {
                if (c == ':' && followedByWhitespace) blockIndicators = true;
                if (c == '#' && precededByWhitespace) blockIndicators = true;
            }
            if (!IsPrintable(c)) special = true;
            if (IsBreak(c)) lineBreaks = true;
            if (c == ' ')
            {
                if (i == 0) leadingSpace = true;
                if (i == s.Length - 1) trailingSpace = true;
                if (previousBreak) breakSpace = true;
                previousSpace = true;
                previousBreak = false;
            }
            else if (IsBreak(c))
            {
                if (i == 0) leadingBreak = true;
                if (i == s.Length - 1) trailingBreak = true;
                if (previousSpace) spaceBreak = true;
                previousSpace = false;
                previousBreak = true;
            }
            else
            {
                previousSpace = false;
                previousBreak = false;
            }
            precededByWhitespace = IsBlankOrEnd(s, i);
            followedByWhitespace = IsBlankOrEnd(s, i + 2);
        }

        var blockPlain = !(leadingSpace || leadingBreak || trailingSpace || trailingBreak || breakSpace || spaceBreak || special || lineBreaks || blockIndicators);
        var singleQuoted = !(breakSpace || spaceBreak || special);
        return new Analysis(false, lineBreaks, blockPlain, singleQuoted, utf8Length);
    }

    sealed class Emitter
    {
        readonly StringBuilder _out = new();
        int _column;
        int _indent;
        bool _whitespace = true;
        bool _indention = true;

        public string Finish()
        {
            if (_column > 0) PutBreak();
            return _out.ToString();
        }

        public void BlockMapping(IEnumerable<(string Key, object? Value)> pairs, int indent)
        {
            var sorted = pairs.OrderBy(p => p.Key, Comparer<string>.Create(CompareCodePoints)).ToList();
            if (sorted.Count == 0)
            {
                WriteIndicator("{", needWhitespace: true, isWhitespace: true, isIndention: false);
                WriteIndicator("}", needWhitespace: false, isWhitespace: false, isIndention: false);
                return;
            }
            var outer = _indent;
            _indent = indent;
            foreach (var (key, value) in sorted)
            {
                WriteIndent();
                var points = CodePointsOf(key);
                var analysis = Analyze(points, key);
                if (!analysis.Multiline && analysis.Utf8Length <= 128)
                {
                    Scalar(points, analysis, key, simpleKey: true);
                    WriteIndicator(":", needWhitespace: false, isWhitespace: false, isIndention: false);
                }
                else
                {
                    WriteIndicator("?", needWhitespace: true, isWhitespace: false, isIndention: true);
                    Scalar(points, analysis, key, simpleKey: false);
                    WriteIndent();
                    WriteIndicator(":", needWhitespace: true, isWhitespace: false, isIndention: true);
                }
                Value(value);
            }
            _indent = outer;
        }

        void Value(object? value)
        {
            switch (value)
            {
                case null:
                    PlainToken("null");
                    break;
                case string text:
                    var points = CodePointsOf(text);
                    Scalar(points, Analyze(points, text), text, simpleKey: false);
                    break;
                case bool flag:
                    PlainToken(flag ? "true" : "false");
                    break;
                case int or long:
                    PlainToken(Convert.ToString(value, CultureInfo.InvariantCulture)!);
                    break;
                case IReadOnlyDictionary<string, string?> nested:
                    BlockMapping(nested.Select(p => (p.Key, (object?)p.Value)), _indent + BestIndent);
                    break;
                case IEnumerable<string?> items:
                    BlockSequence(items.ToList());
                    break;
                default:
                    throw new ArgumentException($"Cannot write a {value.GetType().Name} as YAML.", nameof(value));
            }
        }

        // A sequence as a mapping value is indentless: "- item" at the key's indentation.
        void BlockSequence(List<string?> items)
        {
            if (items.Count == 0)
            {
                WriteIndicator("[", needWhitespace: true, isWhitespace: true, isIndention: false);
                WriteIndicator("]", needWhitespace: false, isWhitespace: false, isIndention: false);
                return;
            }
            foreach (var item in items)
            {
                WriteIndent();
                WriteIndicator("-", needWhitespace: true, isWhitespace: false, isIndention: true);
                Value(item);
            }
        }

        void PlainToken(string token)
        {
            var points = CodePointsOf(token);
            WithScalarIndent(() => WritePlain(points, allowBreaks: true));
        }

        void Scalar(int[] points, Analysis analysis, string text, bool simpleKey)
        {
            var style = Style.Plain;
            if (!analysis.BlockPlainAllowed) style = Style.Single;
            if (analysis.Empty && simpleKey) style = Style.Single;
            if (!ResolvesToString(text)) style = Style.Single;
            if (style == Style.Single && !analysis.SingleQuotedAllowed) style = Style.Double;
            WithScalarIndent(() =>
            {
                switch (style)
                {
                    case Style.Plain: WritePlain(points, allowBreaks: !simpleKey); break;
                    case Style.Single: WriteSingleQuoted(points, allowBreaks: !simpleKey); break;
                    default: WriteDoubleQuoted(points, allowBreaks: !simpleKey); break;
                }
            });
        }

        void WithScalarIndent(Action write)
        {
            var outer = _indent;
            _indent += BestIndent;
            write();
            _indent = outer;
        }

        void WritePlain(int[] s, bool allowBreaks)
        {
            if (!_whitespace && s.Length > 0) Put(' ');
            var spaces = false;
            var breaks = false;
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (c == ' ')
                {
                    if (allowBreaks && !spaces && _column > BestWidth && !(i + 1 < s.Length && s[i + 1] == ' ')) WriteIndent();
                    else Write(c);
                    spaces = true;
                }
                else if (IsBreak(c))
                {
                    if (!breaks && c == '\n') PutBreak();
                    WriteBreak(c);
                    _indention = true;
                    breaks = true;
                }
                else
                {
                    if (breaks) WriteIndent();
                    Write(c);
                    _indention = false;
                    spaces = false;
                    breaks = false;
                }
            }
            _whitespace = false;
            _indention = false;
        }

        void WriteSingleQuoted(int[] s, bool allowBreaks)
        {
            WriteIndicator("'", needWhitespace: true, isWhitespace: false, isIndention: false);
            var spaces = false;
            var breaks = false;
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (c == ' ')
                {
                    if (allowBreaks && !spaces && _column > BestWidth && i != 0 && i != s.Length - 1 && s[i + 1] != ' ') WriteIndent();
                    else Write(c);
                    spaces = true;
                }
                else if (IsBreak(c))
                {
                    if (!breaks && c == '\n') PutBreak();
                    WriteBreak(c);
                    _indention = true;
                    breaks = true;
                }
                else
                {
                    if (breaks) WriteIndent();
                    if (c == '\'') Put('\'');
                    Write(c);
                    _indention = false;
                    spaces = false;
                    breaks = false;
                }
            }
            if (breaks) WriteIndent();
            WriteIndicator("'", needWhitespace: false, isWhitespace: false, isIndention: false);
        }

        void WriteDoubleQuoted(int[] s, bool allowBreaks)
        {
            WriteIndicator("\"", needWhitespace: true, isWhitespace: false, isIndention: false);
            var spaces = false;
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (!IsPrintable(c) || c == 0xFEFF || IsBreak(c) || c is '"' or '\\')
                {
                    Put('\\');
                    var escape = c switch
                    {
                        0 => "0", 7 => "a", 8 => "b", 9 => "t", 0xA => "n", 0xB => "v", 0xC => "f", 0xD => "r", 0x1B => "e",
                        '"' => "\"", '\\' => "\\", 0x85 => "N", 0xA0 => "_", 0x2028 => "L", 0x2029 => "P",
                        <= 0xFF => "x" + c.ToString("X2", CultureInfo.InvariantCulture),
                        <= 0xFFFF => "u" + c.ToString("X4", CultureInfo.InvariantCulture),
                        _ => "U" + c.ToString("X8", CultureInfo.InvariantCulture),
                    };
                    foreach (var e in escape) Put(e);
                    spaces = false;
                }
                else if (c == ' ')
                {
                    if (allowBreaks && !spaces && _column > BestWidth && i != 0 && i != s.Length - 1)
                    {
                        WriteIndent();
                        if (s[i + 1] == ' ') Put('\\');
                    }
                    else Write(c);
                    spaces = true;
                }
                else
                {
                    Write(c);
                    spaces = false;
                }
            }
            WriteIndicator("\"", needWhitespace: false, isWhitespace: false, isIndention: false);
        }

        void WriteIndent()
        {
            if (!_indention || _column > _indent || (_column == _indent && !_whitespace)) PutBreak();
            while (_column < _indent) Put(' ');
            _whitespace = true;
            _indention = true;
        }

        void WriteIndicator(string indicator, bool needWhitespace, bool isWhitespace, bool isIndention)
        {
            if (needWhitespace && !_whitespace) Put(' ');
            foreach (var c in indicator) Put(c);
            _whitespace = isWhitespace;
            _indention = _indention && isIndention;
        }

        void Put(char c)
        {
            _out.Append(c);
            _column++;
        }

        void Write(int codePoint)
        {
            if (codePoint is >= 0xD800 and <= 0xDFFF) _out.Append((char)codePoint); // a lone surrogate: kept as is
            else _out.Append(char.ConvertFromUtf32(codePoint));
            _column++;
        }

        void PutBreak()
        {
            _out.Append('\n');
            _column = 0;
        }

        void WriteBreak(int c)
        {
            if (c == '\n') PutBreak();
            else
            {
                Write(c);
                _column = 0;
            }
        }
    }
}
