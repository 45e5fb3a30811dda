using System.Globalization;
using System.Text;

namespace MlOps.Pipelines.Tracking.Local;

/// <summary>
/// Reads back the block YAML that <see cref="PyYamlWriter"/> (and MLflow's <c>write_yaml</c>) produces: a mapping
/// of scalars, <c>[]</c>/<c>{}</c>, <c>- item</c> lists and nested mappings, with plain, single- and double-quoted
/// scalars that may fold over several lines. Values come back as string (quoted, or plain and not null),
/// null (<c>null</c>, <c>~</c>, empty), <see cref="List{T}"/> or <see cref="Dictionary{TKey,TValue}"/>; plain numbers
/// stay strings for the caller to parse. Anchors, tags, flow collections with content and block scalars are not
/// supported (MLflow never writes them): a <see cref="FormatException"/>.
/// </summary>
internal static class PyYamlReader
{
    public static Dictionary<string, object?> Read(string text)
    {
        var parser = new Parser(text.Replace("\r\n", "\n", StringComparison.Ordinal));
        parser.SkipBlankLines();
        if (parser.AtEnd) return new Dictionary<string, object?>(StringComparer.Ordinal);
        var mapping = parser.Mapping(parser.CurrentIndent());
        parser.SkipBlankLines();
        if (!parser.AtEnd) throw new FormatException($"Unexpected YAML content at line {parser.Line + 1}.");
        return mapping;
    }

    public static string? GetString(this IReadOnlyDictionary<string, object?> mapping, string key) =>
        mapping.TryGetValue(key, out var value) ? value as string : null;

    public static long? GetInt64(this IReadOnlyDictionary<string, object?> mapping, string key) =>
        mapping.GetString(key) is { } text && long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number : null;

    sealed class Parser(string text)
    {
        int _position;

        public bool AtEnd => _position >= text.Length;

        public int Line => text.AsSpan(0, Math.Min(_position, text.Length)).Count('\n');

        public void SkipBlankLines()
        {
            while (!AtEnd)
            {
                var end = LineEnd(_position);
                var content = text.AsSpan(_position, end - _position).Trim(' ');
                if (content.Length > 0 && content[0] != '#') return;
                _position = Math.Min(end + 1, text.Length);
            }
        }

        public int CurrentIndent()
        {
            var i = _position;
            while (i < text.Length && text[i] == ' ') i++;
            return i - _position;
        }

        int LineEnd(int from)
        {
            var end = text.IndexOf('\n', from);
            return end < 0 ? text.Length : end;
        }

        bool IsSequenceItem(int at) => at < text.Length && text[at] == '-' && (at + 1 >= text.Length || text[at + 1] is ' ' or '\n');

        public Dictionary<string, object?> Mapping(int indent)
        {
            var mapping = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (true)
            {
                SkipBlankLines();
                if (AtEnd || CurrentIndent() != indent || IsSequenceItem(_position + indent)) break;
                _position += indent;
                string key;
                if (text[_position] == '?' && (_position + 1 >= text.Length || text[_position + 1] is ' ' or '\n'))
                {
                    _position++;
                    SkipSpaces();
                    key = Scalar(indent) as string ?? "";
                    SkipBlankLines();
                    if (CurrentIndent() != indent || text[_position + indent] != ':') throw new FormatException($"Expected ':' at line {Line + 1}.");
                    _position += indent + 1;
                }
                else
                {
                    key = Key();
                }
                SkipSpaces();
                mapping[key] = AtEnd || text[_position] is '\n' or '#' ? Nested(indent) : Scalar(indent);
            }
            return mapping;
        }

        string Key()
        {
            if (text[_position] is '\'' or '"')
            {
                var key = text[_position] == '\'' ? SingleQuoted() : DoubleQuoted();
                if (AtEnd || text[_position] != ':') throw new FormatException($"Expected ':' after a key at line {Line + 1}.");
                _position++;
                return key;
            }
            var end = LineEnd(_position);
            for (var i = _position; i < end; i++)
            {
                if (text[i] == ':' && (i + 1 >= end || text[i + 1] == ' '))
                {
                    var key = text[_position..i].TrimEnd(' ');
                    _position = i + 1;
                    return key;
                }
            }
            throw new FormatException($"Expected 'key: value' at line {Line + 1}.");
        }

        object? Nested(int indent)
        {
            _position = Math.Min(LineEnd(_position) + 1, text.Length);
            SkipBlankLines();
            if (AtEnd) return null;
            var inner = CurrentIndent();
            if (IsSequenceItem(_position + inner) && inner >= indent) return Sequence(inner);
            if (inner > indent) return Mapping(inner);
            return null;
        }

        List<object?> Sequence(int indent)
        {
            var items = new List<object?>();
            while (true)
            {
                SkipBlankLines();
                if (AtEnd || CurrentIndent() != indent || !IsSequenceItem(_position + indent)) break;
                _position += indent + 1;
                SkipSpaces();
                items.Add(AtEnd || text[_position] == '\n' ? null : Scalar(indent));
            }
            return items;
        }

        void SkipSpaces()
        {
            while (!AtEnd && text[_position] == ' ') _position++;
        }

        /// <summary>A scalar (or <c>[]</c>/<c>{}</c>) starting at the current position; continuation lines are indented past <paramref name="parentIndent"/>.</summary>
        object? Scalar(int parentIndent)
        {
            object? value;
            if (text[_position] == '\'') value = SingleQuoted();
            else if (text[_position] == '"') value = DoubleQuoted();
            else if (text.AsSpan(_position).StartsWith("[]")) { _position += 2; value = new List<object?>(); }
            else if (text.AsSpan(_position).StartsWith("{}")) { _position += 2; value = new Dictionary<string, object?>(StringComparer.Ordinal); }
            else if (text[_position] is '[' or '{' or '&' or '*' or '!' or '|' or '>')
                throw new FormatException($"Unsupported YAML construct at line {Line + 1}.");
            else return Plain(parentIndent);
            SkipSpaces();
            if (!AtEnd && text[_position] == '#') _position = LineEnd(_position);
            if (!AtEnd && text[_position] != '\n') throw new FormatException($"Unexpected content after a value at line {Line + 1}.");
            return value;
        }

        string? Plain(int parentIndent)
        {
            var result = new StringBuilder();
            var end = LineEnd(_position);
            result.Append(StripComment(text[_position..end]).Trim(' '));
            var lastContentEnd = end;
            var scan = end;
            var pendingBreaks = 0;
            while (scan < text.Length)
            {
                var next = scan + 1;
                var nextEnd = LineEnd(next);
                var line = text[next..nextEnd];
                scan = nextEnd;
                if (line.Trim(' ').Length == 0)
                {
                    pendingBreaks++;
                    continue;
                }
                var indent = line.Length - line.TrimStart(' ').Length;
                if (indent <= parentIndent) break;
                result.Append(pendingBreaks == 0 ? " " : new string('\n', pendingBreaks));
                result.Append(StripComment(line).Trim(' '));
                pendingBreaks = 0;
                lastContentEnd = nextEnd;
            }
            _position = lastContentEnd; // blank lines after the scalar are not part of it
            var value = result.ToString();
            return value is "" or "~" or "null" or "Null" or "NULL" ? null : value;
        }

        static string StripComment(string line)
        {
            for (var i = 1; i < line.Length; i++)
                if (line[i] == '#' && line[i - 1] is ' ' or '\t') return line[..(i - 1)];
            return line;
        }

        string SingleQuoted()
        {
            _position++;
            var value = new StringBuilder();
            while (true)
            {
                if (AtEnd) throw new FormatException("Unterminated single-quoted YAML scalar.");
                var c = text[_position];
                if (c == '\'')
                {
                    if (_position + 1 < text.Length && text[_position + 1] == '\'')
                    {
                        value.Append('\'');
                        _position += 2;
                        continue;
                    }
                    _position++;
                    return value.ToString();
                }
                if (c is ' ' or '\t')
                {
                    var start = _position;
                    while (!AtEnd && text[_position] is ' ' or '\t') _position++;
                    if (!AtEnd && IsBreak(text[_position])) continue; // trailing white space before a fold is not content
                    value.Append(text, start, _position - start);
                    continue;
                }
                if (IsBreak(c))
                {
                    Fold(value);
                    continue;
                }
                value.Append(c);
                _position++;
            }
        }

        string DoubleQuoted()
        {
            _position++;
            var value = new StringBuilder();
            while (true)
            {
                if (AtEnd) throw new FormatException("Unterminated double-quoted YAML scalar.");
                var c = text[_position];
                if (c == '"')
                {
                    _position++;
                    return value.ToString();
                }
                if (c == '\\')
                {
                    if (_position + 1 >= text.Length) throw new FormatException("Unterminated double-quoted YAML scalar.");
                    var e = text[_position + 1];
                    _position += 2;
                    if (e == '\n')
                    {
                        // An escaped line break: joined without a space; the next line's indentation is not content.
                        while (!AtEnd && text[_position] is ' ' or '\t') _position++;
                        continue;
                    }
                    switch (e)
                    {
                        case '0': value.Append('\0'); break;
                        case 'a': value.Append('\a'); break;
                        case 'b': value.Append('\b'); break;
                        case 't' or '\t': value.Append('\t'); break;
                        case 'n': value.Append('\n'); break;
                        case 'v': value.Append('\v'); break;
                        case 'f': value.Append('\f'); break;
                        case 'r': value.Append('\r'); break;
                        case 'e': value.Append('\u001B'); break;
                        case ' ': value.Append(' '); break;
                        case '"': value.Append('"'); break;
                        case '/': value.Append('/'); break;
                        case '\\': value.Append('\\'); break;
                        case 'N': value.Append('\u0085'); break;
                        case '_': value.Append('\u00A0'); break;
                        case 'L': value.Append('\u2028'); break;
                        case 'P': value.Append('\u2029'); break;
                        case 'x': value.Append(Hex(2)); break;
                        case 'u': value.Append(Hex(4)); break;
                        case 'U': value.Append(Hex(8)); break;
                        default: throw new FormatException($"Unknown escape '\\{e}' in a double-quoted YAML scalar.");
                    }
                    continue;
                }
                if (c is ' ' or '\t')
                {
                    var start = _position;
                    while (!AtEnd && text[_position] is ' ' or '\t') _position++;
                    if (!AtEnd && IsBreak(text[_position])) continue;
                    value.Append(text, start, _position - start);
                    continue;
                }
                if (IsBreak(c))
                {
                    Fold(value);
                    continue;
                }
                value.Append(c);
                _position++;
            }
        }

        string Hex(int digits)
        {
            if (_position + digits > text.Length) throw new FormatException("Truncated escape in a double-quoted YAML scalar.");
            var code = int.Parse(text.AsSpan(_position, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            _position += digits;
            return code is >= 0xD800 and <= 0xDFFF ? ((char)code).ToString() : char.ConvertFromUtf32(code);
        }

        static bool IsBreak(char c) => c is '\n' or '\u0085' or '\u2028' or '\u2029';

        // At a line break inside a quoted scalar (PyYAML's scan_flow_scalar_spaces): a lone '\n' folds to a space,
        // '\n' followed by n more breaks gives those n; LS/PS are kept. The indentation of each following line
        // is not content.
        void Fold(StringBuilder value)
        {
            var first = text[_position] == '\u0085' ? '\n' : text[_position];
            _position++;
            var breaks = new StringBuilder();
            while (true)
            {
                while (!AtEnd && text[_position] is ' ' or '\t') _position++;
                if (AtEnd || !IsBreak(text[_position])) break;
                breaks.Append(text[_position] == '\u0085' ? '\n' : text[_position]);
                _position++;
            }
            if (first != '\n') value.Append(first);
            else if (breaks.Length == 0) value.Append(' ');
            value.Append(breaks);
        }
    }
}
