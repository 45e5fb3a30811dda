using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.Json;

namespace MlOps.Pipelines.Caching;

/// <summary>
/// Which assemblies <see cref="CodeFingerprint"/> walks method by method, and where virtual calls may land.
/// Walked: every assembly that is neither the .NET shared framework (left out, so a committed lock file does not
/// churn between runtime patches) nor a NuGet package (a package changes only with its version, so its module
/// version id identifies it; the app's deps.json says which assemblies are packages). So the pipeline, the engine,
/// the ML library and any project library are walked: a comment or an unreachable method there changes nothing.
/// </summary>
static class CodeScope
{
    /// <summary>The shared framework folder (…/dotnet/shared), whose assemblies are the runtime's, not the project's.</summary>
    static readonly string SharedFramework = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(typeof(object).Assembly.Location))!)!;

    static readonly Lazy<HashSet<string>> PackageAssemblies = new(ReadPackageAssemblies);
    static readonly ConditionalWeakTable<Assembly, Box<bool>> Walkable = [];
    static readonly ConditionalWeakTable<Assembly, Dictionary<MethodBase, List<MethodBase>>> ImplementationsByAssembly = [];
    static readonly ConditionalWeakTable<Assembly, IReadOnlyList<Assembly>> Closures = [];

    sealed record Box<T>(T Value);

    public static bool IsFramework(Assembly assembly) =>
        assembly.Location.StartsWith(SharedFramework + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>True when the assembly's methods are walked; false for the shared framework and NuGet packages.</summary>
    public static bool IsWalked(Assembly assembly) => Walkable.GetValue(assembly, a => new Box<bool>(
        !a.IsDynamic && !IsFramework(a) && !(a.Location.Length > 0 && PackageAssemblies.Value.Contains(Path.GetFileName(a.Location))))).Value;

    /// <summary>The walked assemblies <paramref name="root"/> can reach through its references (itself first).</summary>
    public static IReadOnlyList<Assembly> WalkedClosure(Assembly root) => Closures.GetValue(root, start =>
    {
        var context = AssemblyLoadContext.GetLoadContext(start) ?? AssemblyLoadContext.Default;
        var found = new List<Assembly> { start };
        var seen = new HashSet<string>(StringComparer.Ordinal) { start.FullName ?? "" };
        for (var i = 0; i < found.Count; i++)
        {
            foreach (var reference in found[i].GetReferencedAssemblies().OrderBy(r => r.FullName, StringComparer.Ordinal))
            {
                if (!seen.Add(reference.FullName)) continue;
                Assembly loaded;
                try { loaded = context.LoadFromAssemblyName(reference); }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException) { continue; } // cannot run either
                if (IsWalked(loaded)) found.Add(loaded);
            }
        }
        return found;
    });

    /// <summary>
    /// The overrides and interface implementations of <paramref name="method"/> (a method definition of a walked type)
    /// declared in subtypes of its type in <paramref name="assemblies"/>: a virtual call may land in any of them.
    /// </summary>
    public static IEnumerable<MethodBase> Implementations(MethodBase method, IReadOnlyList<Assembly> assemblies)
    {
        if (method.DeclaringType is not { } declaring || !IsWalked(declaring.Assembly)) yield break;
        var contract = method is MethodInfo info ? CodeFingerprint.Definition(info.GetBaseDefinition()) : method;
        foreach (var assembly in assemblies)
            if (ImplementationsByAssembly.GetValue(assembly, Index).TryGetValue(contract, out var list))
                foreach (var implementation in list)
                    if (DerivesFrom(implementation.DeclaringType!, declaring)) yield return implementation;
    }

    /// <summary>Whether <paramref name="type"/> is <paramref name="ancestor"/> or derives from or implements it (generic definitions compared).</summary>
    static bool DerivesFrom(Type type, Type ancestor)
    {
        static Type Open(Type t) => t.IsGenericType ? t.GetGenericTypeDefinition() : t;
        ancestor = Open(ancestor);
        if (ancestor.IsInterface) return type.GetInterfaces().Any(i => Open(i) == ancestor);
        for (Type? current = type; current is not null; current = current.BaseType)
            if (Open(current) == ancestor) return true;
        return false;
    }

    static Dictionary<MethodBase, List<MethodBase>> Index(Assembly assembly)
    {
        var index = new Dictionary<MethodBase, List<MethodBase>>();
        const BindingFlags declared = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (var type in Types(assembly).Where(t => t.IsClass || t.IsValueType).OrderBy(t => t.MetadataToken))
        {
            foreach (var candidate in type.GetMethods(declared).Where(m => m.IsVirtual).OrderBy(m => m.MetadataToken))
                if (candidate.GetBaseDefinition() is var root && root != candidate) Add(CodeFingerprint.Definition(root), candidate);
            if (type.IsGenericTypeDefinition) continue;
            foreach (var contract in type.GetInterfaces())
            {
                InterfaceMapping map;
                try { map = type.GetInterfaceMap(contract); }
                catch (ArgumentException) { continue; }
                for (var i = 0; i < map.InterfaceMethods.Length; i++)
                    if (map.TargetMethods[i].DeclaringType == type) Add(CodeFingerprint.Definition(map.InterfaceMethods[i]), map.TargetMethods[i]);
            }
        }
        return index;

        void Add(MethodBase contract, MethodBase implementation)
        {
            if (!index.TryGetValue(contract, out var list)) index[contract] = list = [];
            list.Add(CodeFingerprint.Definition(implementation));
        }
    }

    static IEnumerable<Type> Types(Assembly assembly)
    {
        try { return assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.OfType<Type>(); }
    }

    /// <summary>File names of the runtime assemblies of the app's NuGet packages, from its deps.json files.</summary>
    static HashSet<string> ReadPackageAssemblies()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        // The host's list, and the deps files beside the app (a test host lists its own, not the tests').
        var files = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(Directory.Exists(AppContext.BaseDirectory) ? Directory.GetFiles(AppContext.BaseDirectory, "*.deps.json") : [])
            .Select(Path.GetFullPath).Distinct(StringComparer.Ordinal);
        foreach (var file in files)
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(file));
                var root = document.RootElement;
                if (!root.TryGetProperty("libraries", out var libraries) || !root.TryGetProperty("targets", out var targets)) continue;
                foreach (var target in targets.EnumerateObject())
                    foreach (var library in target.Value.EnumerateObject())
                    {
                        if (!libraries.TryGetProperty(library.Name, out var facts) || !facts.TryGetProperty("type", out var type) || type.GetString() != "package") continue;
                        if (!library.Value.TryGetProperty("runtime", out var runtime)) continue;
                        foreach (var asset in runtime.EnumerateObject()) names.Add(Path.GetFileName(asset.Name));
                    }
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Unreadable: the package's assemblies are then walked like project code, which is slower but as sound.
            }
        }
        return names;
    }
}
