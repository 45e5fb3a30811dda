using System.Reflection;

namespace MlOps.Pipelines.Discovery;

/// <summary>One <see cref="ParameterAttribute"/> member: how it is named in each source and how it is set.</summary>
sealed class ParameterModel
{
    readonly object _owner;
    readonly FieldInfo? _field;
    readonly PropertyInfo? _property;

    ParameterModel(object owner, MemberInfo member, Type type, string description, bool isSecret, string? ownerName, Parameters.ParameterRange? range)
    {
        Range = range;
        _owner = owner;
        _field = member as FieldInfo;
        _property = member as PropertyInfo;
        MemberName = member.Name;
        Type = type;
        Description = description;
        IsSecret = isSecret;
        OwnerName = ownerName;
        CliName = ParameterNames.ToKebabCase(member.Name);
        EnvironmentName = CliName.Replace('-', '_').ToUpperInvariant();
        DefaultValue = Get();
    }

    /// <summary>The field or property itself (the code fingerprint finds reads of it).</summary>
    public MemberInfo Member => (MemberInfo?)_field ?? _property!;

    /// <summary>The member's name; also its key in <c>parameters.json</c>.</summary>
    public string MemberName { get; }

    /// <summary>The command-line name without dashes: <c>learning-rate</c>.</summary>
    public string CliName { get; }

    /// <summary>The environment variable: <c>LEARNING_RATE</c>.</summary>
    public string EnvironmentName { get; }

    public Type Type { get; }
    public string Description { get; }
    public bool IsSecret { get; }

    /// <summary>The values it allows (numeric parameters); null when any value of its type will do.</summary>
    public Parameters.ParameterRange? Range { get; }

    /// <summary>The pipeline that declares it; null for the engine's own options.</summary>
    public string? OwnerName { get; }

    /// <summary>The member's value before binding.</summary>
    public object? DefaultValue { get; }

    public object? Get() => _field is not null ? _field.GetValue(_owner) : _property!.GetValue(_owner);

    public void Set(object? value)
    {
        if (_field is not null) _field.SetValue(_owner, value);
        else _property!.SetValue(_owner, value);
    }

    /// <summary>The <see cref="ParameterAttribute"/> members of <paramref name="owner"/>'s class hierarchy, in declaration order.</summary>
    public static IReadOnlyList<ParameterModel> Discover(object owner, string? ownerName)
    {
        var result = new List<ParameterModel>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var type = owner.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            var members = type
                .GetMembers(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(m => m is FieldInfo or PropertyInfo)
                .OrderBy(m => m.MetadataToken);
            foreach (var member in members)
            {
                if (member.GetCustomAttribute<ParameterAttribute>() is not { } attribute) continue;
                var (memberType, settable) = member switch
                {
                    FieldInfo f => (f.FieldType, true),
                    PropertyInfo p => (p.PropertyType, p.SetMethod is not null),
                    _ => throw new InvalidOperationException(),
                };
                if (!settable)
                    throw new Hosting.UsageException(
                        $"Parameter '{type.Name}.{member.Name}' has no setter; declare it as a field or give the property a setter.");
                if (!ValueConverter.IsSupported(memberType))
                    throw new Hosting.UsageException(
                        $"Parameter '{type.Name}.{member.Name}' has type {memberType.Name}, which parameters do not support. " +
                        "Use string, bool, int, long, double, an enum, AbsolutePath, or an array of these.");
                if (!names.Add(member.Name))
                    throw new Hosting.UsageException($"Parameter '{member.Name}' is declared twice in {owner.GetType().Name}.");
                var secret = member.GetCustomAttribute<SecretAttribute>() is not null;
                var range = Parameters.ParameterRange.Of(attribute, memberType, $"{type.Name}.{member.Name}");
                result.Add(new ParameterModel(owner, member, memberType, attribute.Description, secret, ownerName, range));
            }
        }
        return result;
    }
}
