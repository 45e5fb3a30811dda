using System.Reflection;
using System.Text;
using System.Text.Json;

namespace MlOps.Pipelines.Caching;

/// <summary>
/// Remembers each target's <see cref="CodeFingerprint"/> result on disk (<c>.nuke/cache/code-fingerprints.json</c>),
/// so a build whose assemblies did not change does not walk thousands of methods again (about 1 s on the example).
/// The memo key holds everything the walk depends on: the target, its root delegates (module identity, token,
/// type arguments, captured values), the module version id and walked/package status of every non-framework
/// assembly the root assembly can reach (deterministic builds make it a hash of the assembly; any edit, even a
/// comment, changes it, and then the walk runs and decides), the runtime types of what the roots' objects hold (the
/// walk follows them), and the parameter members. A memo that does not match is simply walked again.
/// </summary>
sealed class FingerprintMemo(string path)
{
    /// <summary>One remembered walk; members are named as "declaring type full name::member name".</summary>
    public sealed record Entry(string Key, string Hash, SortedDictionary<string, string> Libraries, List<string> ParametersRead, List<string> FieldsRead);

    Dictionary<string, Entry>? _entries;

    public static string KeyOf(string target, IReadOnlyList<Delegate> roots, IEnumerable<MemberInfo> parameters)
    {
        var text = new StringBuilder("target ").Append(target).Append('\n');
        foreach (var root in roots)
        {
            var method = root.Method;
            text.Append("root ").Append(method.Module.ModuleVersionId).Append(' ').Append(method.MetadataToken)
                .Append(' ').Append(method.DeclaringType?.AssemblyQualifiedName).Append(' ')
                .Append(method.IsGenericMethod ? string.Join(",", method.GetGenericArguments().Select(t => t.AssemblyQualifiedName)) : "").Append('\n');
        }
        foreach (var holder in roots.Select(r => r.Target).OfType<object>().Distinct(ReferenceEqualityComparer.Instance))
            Holdings(holder, text);
        var assembly = roots.FirstOrDefault()?.Method.Module.Assembly ?? typeof(FingerprintMemo).Assembly;
        foreach (var reached in Closure(assembly))
            text.Append("assembly ").Append(reached.FullName).Append(' ').Append(reached.ManifestModule.ModuleVersionId)
                .Append(CodeScope.IsWalked(reached) ? " walked" : " package").Append('\n');
        foreach (var parameter in parameters.Select(Name).Order(StringComparer.Ordinal)) text.Append("parameter ").Append(parameter).Append('\n');
        return FileHasher.HashText(text.ToString());
    }

    /// <summary>Every field of the object with its value's runtime type (and its items'), and plain values in full.</summary>
    static void Holdings(object target, StringBuilder text)
    {
        for (var type = target.GetType(); type is not null && type != typeof(object); type = type.BaseType)
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly).OrderBy(f => f.MetadataToken))
            {
                var value = field.GetValue(target);
                text.Append("holds ").Append(type.FullName).Append("::").Append(field.Name).Append(' ').Append(value?.GetType().AssemblyQualifiedName);
                // A closure's captured values are in the walk's text; a pipeline's field values (parameters) are not.
                if (CodeFingerprint.Generated(type) && (value is string or bool or char or Enum || value?.GetType().IsPrimitive == true))
                    text.Append(" = ").Append(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                if (value is System.Collections.IEnumerable items and not string)
                    foreach (var itemType in items.Cast<object?>().Take(10_000).Select(i => i?.GetType()).Distinct())
                        text.Append(" item ").Append(itemType?.AssemblyQualifiedName);
                text.Append('\n');
            }
    }

    /// <summary>The non-framework assemblies reachable from <paramref name="root"/> through references (walked or not).</summary>
    static IEnumerable<Assembly> Closure(Assembly root)
    {
        var context = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(root) ?? System.Runtime.Loader.AssemblyLoadContext.Default;
        var found = new List<Assembly> { root };
        var seen = new HashSet<string>(StringComparer.Ordinal) { root.FullName ?? "" };
        for (var i = 0; i < found.Count; i++)
            foreach (var reference in found[i].GetReferencedAssemblies())
            {
                if (!seen.Add(reference.FullName)) continue;
                try
                {
                    var loaded = context.LoadFromAssemblyName(reference);
                    if (!CodeScope.IsFramework(loaded)) found.Add(loaded);
                }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException) { }
            }
        return found.OrderBy(a => a.FullName, StringComparer.Ordinal);
    }

    public static string Name(MemberInfo member) => member.DeclaringType?.FullName + "::" + member.Name;

    public Entry? Find(string target, string key) => Load().TryGetValue(target, out var entry) && entry.Key == key ? entry : null;

    public void Remember(string target, Entry entry)
    {
        Load()[target] = entry;
        // Only inside a workspace (its .nuke folder exists): a fingerprint taken elsewhere must not make a folder a root.
        if (!Directory.Exists(Path.GetDirectoryName(Path.GetDirectoryName(path)))) return;
        try { AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new SortedDictionary<string, Entry>(_entries!, StringComparer.Ordinal))); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a memo only saves time
    }

    Dictionary<string, Entry> Load()
    {
        if (_entries is not null) return _entries;
        try { _entries = File.Exists(path) ? JsonSerializer.Deserialize<Dictionary<string, Entry>>(File.ReadAllText(path)) : null; }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { }
        _entries ??= new Dictionary<string, Entry>(StringComparer.Ordinal);
        // A damaged entry (hand-edited, older format) is a miss, never a crash.
        foreach (var (name, entry) in _entries.ToList())
            if (entry?.Key is null || entry.Hash is null || entry.Libraries is null || entry.ParametersRead is null || entry.FieldsRead is null) _entries.Remove(name);
        return _entries;
    }
}
