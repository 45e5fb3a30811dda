using System.Globalization;

namespace MlOps.Pipelines.Parameters;

/// <summary>
/// Converts the text of a parameter value to its declared type. Strict: no silent coercion, invariant
/// culture, enums only by name, booleans only as true/false.
/// </summary>
static class ValueConverter
{
    public static bool IsSupported(Type type)
    {
        var element = type.IsArray ? type.GetElementType()! : type;
        element = Nullable.GetUnderlyingType(element) ?? element;
        return element == typeof(string) || element == typeof(bool) || element == typeof(int) || element == typeof(long)
            || element == typeof(double) || element == typeof(AbsolutePath) || element.IsEnum;
    }

    /// <summary>
    /// Converts <paramref name="values"/> (one per element for arrays; none for a bare flag) to <paramref name="type"/>.
    /// Throws <see cref="FormatException"/> whose message says what was expected.
    /// </summary>
    public static object? Convert(IReadOnlyList<string> values, Type type, string baseDirectory)
    {
        if (type.IsArray)
        {
            var elementType = type.GetElementType()!;
            var array = Array.CreateInstance(elementType, values.Count);
            for (var i = 0; i < values.Count; i++) array.SetValue(ConvertScalar(values[i], elementType, baseDirectory), i);
            return array;
        }
        return values.Count switch
        {
            0 when Underlying(type) == typeof(bool) => true, // a bare --flag means true
            0 => throw new FormatException($"a value is missing; expected {Describe(type)}"),
            1 => ConvertScalar(values[0], type, baseDirectory),
            _ => throw new FormatException($"{values.Count} values were given; expected one {Describe(type)}"),
        };
    }

    static object ConvertScalar(string text, Type type, string baseDirectory)
    {
        var target = Underlying(type);
        if (target == typeof(string)) return text;
        if (target == typeof(AbsolutePath))
        {
            if (string.IsNullOrWhiteSpace(text)) throw new FormatException("an empty path was given; expected a path");
            return AbsolutePath.Create(text, baseDirectory);
        }
        if (target == typeof(bool))
        {
            if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase)) return true;
            if (string.Equals(text, "false", StringComparison.OrdinalIgnoreCase)) return false;
        }
        else if (target == typeof(int))
        {
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)) return value;
        }
        else if (target == typeof(long))
        {
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)) return value;
        }
        else if (target == typeof(double))
        {
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)) return value;
        }
        else if (target.IsEnum)
        {
            var name = Enum.GetNames(target).FirstOrDefault(n => string.Equals(n, text.Replace("-", ""), StringComparison.OrdinalIgnoreCase));
            if (name is not null) return Enum.Parse(target, name);
        }
        throw new FormatException($"expected {Describe(type)}");
    }

    /// <summary>How a type is named to users: <c>int</c>, <c>double</c>, <c>path</c>, <c>quiet|normal</c>, <c>string[]</c>.</summary>
    public static string Describe(Type type)
    {
        if (type.IsArray) return Describe(type.GetElementType()!) + "[]";
        var target = Underlying(type);
        if (target.IsEnum) return "one of " + string.Join("|", Enum.GetNames(target).Select(n => ParameterNames.ToKebabCase(n)));
        return target switch
        {
            _ when target == typeof(string) => "string",
            _ when target == typeof(bool) => "bool (true|false)",
            _ when target == typeof(int) => "int",
            _ when target == typeof(long) => "long",
            _ when target == typeof(double) => "double (finite, '.' as decimal point)",
            _ when target == typeof(AbsolutePath) => "path",
            _ => target.Name,
        };
    }

    /// <summary>Short type name for help columns: <c>int</c>, <c>path</c>, <c>enum</c>, <c>string[]</c>.</summary>
    public static string ShortName(Type type)
    {
        if (type.IsArray) return ShortName(type.GetElementType()!) + "[]";
        var target = Underlying(type);
        if (target.IsEnum) return string.Join("|", Enum.GetNames(target).Select(n => ParameterNames.ToKebabCase(n)));
        if (target == typeof(AbsolutePath)) return "path";
        if (target == typeof(bool)) return "bool";
        if (target == typeof(int)) return "int";
        if (target == typeof(long)) return "long";
        if (target == typeof(double)) return "double";
        return "string";
    }

    /// <summary>A value as users would type it; used for defaults in help and for reporting.</summary>
    public static string Format(object? value, AbsolutePath root) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        AbsolutePath p => IsUnder(p, root) ? p.RelativeTo(root) : p.ToString(),
        Enum e => ParameterNames.ToKebabCase(e.ToString()),
        Array a => string.Join(" ", a.Cast<object?>().Select(x => Format(x, root))),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    static bool IsUnder(AbsolutePath path, AbsolutePath root) =>
        ((string)path).StartsWith((string)root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || path.Equals(root);

    static Type Underlying(Type type) => Nullable.GetUnderlyingType(type) ?? type;
}
