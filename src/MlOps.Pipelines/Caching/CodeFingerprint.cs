using System.Reflection;
using System.Reflection.Emit;
using System.Text;

namespace MlOps.Pipelines.Caching;

/// <summary>
/// The code a target runs, seen as IL. Roots: its Executes delegates and the Write/Read codecs of the artefacts it
/// produces and consumes. From there, transitively, every method of a walked assembly (see <see cref="CodeScope"/>:
/// the pipeline, the engine, project libraries) that is called, constructed or has its address taken (lambdas,
/// method groups), with every override and interface implementation a virtual call may land in, the static
/// constructor of every type touched, and, for objects that leave walked code, what other code may call back:
/// the virtual methods of every type constructed or boxed (an <c>IProgress&lt;T&gt;</c>, a comparer handed to a
/// library), and every member of a type that reflection may see (a generic argument, <c>typeof</c>: a serializer
/// reads its properties). Each metadata token is resolved to a stable name, so adding an unrelated method or string
/// elsewhere changes nothing; compiler-generated names (lambda and closure numbering) are replaced by their order of
/// discovery. The IL carries no debug information, so a comment or a moved line changes nothing either.
/// The root assembly's code gives <see cref="Result.Hash"/>; each other walked assembly gives a hash of the part of
/// it that was reached, and each NuGet package its module version id (<see cref="Result.Libraries"/>). The same walk
/// records which <see cref="ParameterAttribute"/> members the code reads.
/// </summary>
sealed partial class CodeFingerprint
{
    readonly Assembly _root;
    readonly IReadOnlyList<Assembly> _scope;
    readonly IReadOnlySet<MemberInfo> _parameters;
    readonly Dictionary<MethodBase, int> _visited = [];
    readonly List<MethodBase> _order = [];
    readonly Queue<MethodBase> _pending = new();
    readonly Dictionary<Assembly, Part> _parts = [];
    readonly SortedDictionary<string, string> _packages = new(StringComparer.Ordinal);
    readonly HashSet<FieldInfo> _fields = [];
    readonly HashSet<MemberInfo> _read = [];
    readonly HashSet<Type> _instantiated = [];
    readonly HashSet<Type> _reflected = [];

    /// <summary>The reached code of one walked assembly: its text and its own numbering of methods and generated types.</summary>
    sealed class Part
    {
        public readonly StringBuilder Text = new();
        public readonly Dictionary<MethodBase, int> Methods = [];
        public readonly Dictionary<Type, int> GeneratedTypes = [];
        public readonly HashSet<Type> Touched = [];
        /// <summary>Type shapes, apart from the method text, which they would otherwise interrupt mid-instruction.</summary>
        public readonly StringBuilder Shapes = new();
        public string Hash() => FileHasher.HashText(Text + "\n" + Shapes);
    }

    CodeFingerprint(Assembly root, IReadOnlySet<MemberInfo> parameters)
    {
        _root = root;
        _scope = CodeScope.WalkedClosure(root);
        _parameters = parameters;
    }

    /// <summary>What the walk found.</summary>
    /// <param name="Hash">SHA-256 hex of the root assembly's code reached.</param>
    /// <param name="Libraries">Other assemblies reached: name → <c>code:</c> hash of the part reached (walked ones) or module version id (packages).</param>
    /// <param name="ParametersRead">The parameter members the code reads.</param>
    /// <param name="FieldsRead">Other instance fields of walked types the code reads (their values are inputs too).</param>
    /// <param name="Methods">Every method walked, in order.</param>
    public sealed record Result(string Hash, SortedDictionary<string, string> Libraries, IReadOnlySet<MemberInfo> ParametersRead,
        IReadOnlySet<FieldInfo> FieldsRead, IReadOnlyList<MethodBase> Methods);

    /// <summary>Walks <paramref name="code"/> (the target's own delegates, the first of which names the root assembly) and <paramref name="codecs"/>.</summary>
    public static Result Of(IEnumerable<Delegate> code, IReadOnlySet<MemberInfo> parameters, IEnumerable<Delegate>? codecs = null)
    {
        var roots = code.Concat(codecs ?? []).ToList();
        var root = roots.FirstOrDefault()?.Method.Module.Assembly ?? typeof(CodeFingerprint).Assembly;
        var walker = new CodeFingerprint(root, parameters);
        foreach (var action in roots)
        {
            walker.Reached(action.Method);
            // A delegate made in generic code (Artifact.Json<T>'s codec) runs with its type arguments: reflection sees them.
            foreach (var argument in GenericArguments(action.Method)) walker.TypeName(argument, walker.PartOf(root));
            walker.Captured(action);
        }
        var targets = roots.Select(r => r.Target).OfType<object>().Distinct(ReferenceEqualityComparer.Instance).ToList();
        var held = new HashSet<FieldInfo>();
        do
        {
            while (walker._pending.TryDequeue(out var method)) walker.Walk(method);
            foreach (var field in walker._fields.Where(held.Add).OrderBy(f => f.MetadataToken).ToList())
                foreach (var target in targets.Where(field.DeclaringType!.IsInstanceOfType))
                    walker.Held(field.GetValue(target));
        } while (walker._pending.Count > 0);

        var libraries = new SortedDictionary<string, string>(walker._packages, StringComparer.Ordinal);
        foreach (var (assembly, part) in walker._parts.Where(p => p.Key != root))
            libraries[assembly.GetName().Name ?? assembly.ManifestModule.Name] = "code:" + part.Hash();
        var hash = walker._parts.TryGetValue(root, out var own) ? own.Hash() : FileHasher.HashText("");
        return new Result(hash, libraries, walker._read, walker._fields, walker._order);
    }

    /// <summary>
    /// The values a root delegate's closure captured (an artefact's name in its codec's message, a scale factor): set
    /// when the pipeline was constructed, they shape what the code does like constants in its IL.
    /// </summary>
    void Captured(Delegate action)
    {
        if (action.Target is not { } closure || !Generated(closure.GetType())) return;
        var text = PartOf(action.Method.Module.Assembly).Shapes;
        foreach (var field in closure.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).OrderBy(f => f.MetadataToken))
        {
            var value = field.GetValue(closure);
            text.Append("captured ").Append(field.Name).Append(" = ").Append(value switch
            {
                null => "null",
                string or bool or char or Enum => value.ToString(),
                Array array when array.GetType().GetElementType() is { } element && (element.IsPrimitive || element == typeof(string)) =>
                    "[" + string.Join(",", array.Cast<object?>().Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))) + "]",
                IFormattable formattable when value.GetType().IsPrimitive || value is decimal => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                _ => "object " + value.GetType().FullName, // its code is walked (see Held)
            }).Append('\n');
            Held(value);
        }
    }

    /// <summary>
    /// An object the roots hold (a pipeline field's value, a captured object) was made by code the walk did not see
    /// (the pipeline's constructor): other code may call any of its virtual methods, as of an object made in the walk.
    /// </summary>
    void Held(object? value)
    {
        if (value is null) return;
        Instantiated(value.GetType());
        if (value is System.Collections.IEnumerable items and not string)
            foreach (var item in items.Cast<object?>().Take(10_000)) Instantiated(item?.GetType());
    }

    static IEnumerable<Type> GenericArguments(MethodBase method) =>
        (method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : [])
        .Concat(method is MethodInfo { IsGenericMethod: true } ? method.GetGenericArguments() : []);

    Part PartOf(Assembly assembly)
    {
        if (!_parts.TryGetValue(assembly, out var part)) _parts[assembly] = part = new Part();
        return part;
    }

    /// <summary>A method whose code may run: walked when its assembly is, else its assembly is listed as a package.</summary>
    void Reached(MethodBase method)
    {
        if (!CodeScope.IsWalked(method.Module.Assembly))
        {
            External(method.Module.Assembly);
            return;
        }
        method = Definition(method);
        if (_visited.ContainsKey(method)) return;
        _visited[method] = _order.Count;
        _order.Add(method);
        var part = PartOf(method.Module.Assembly);
        part.Methods[method] = part.Methods.Count;
        _pending.Enqueue(method);
        Touch(method.DeclaringType);
        // A virtual method of a walked type may land in an override or implementation in any walked subtype. One
        // declared by the framework (ToString, Dispose, IComparer<T>.Compare) lands only in objects that exist: those
        // the walk constructs (see Instantiated) and those the roots hold (see Held).
        if (method.IsVirtual) foreach (var implementation in CodeScope.Implementations(method, _scope)) Reached(implementation);
    }

    void External(Assembly assembly)
    {
        if (CodeScope.IsFramework(assembly) || CodeScope.IsWalked(assembly)) return;
        _packages[assembly.GetName().Name ?? assembly.ManifestModule.Name] = assembly.ManifestModule.ModuleVersionId.ToString("N");
    }

    /// <summary>The generic definition of a method, reflected from its declaring type, so each method has one identity.</summary>
    internal static MethodBase Definition(MethodBase method)
    {
        if (method is MethodInfo { IsGenericMethod: true, IsGenericMethodDefinition: false } generic) method = generic.GetGenericMethodDefinition();
        if (method.DeclaringType is not { } declaring) return method;
        var definition = declaring.IsGenericType ? declaring.GetGenericTypeDefinition() : declaring;
        return MethodBase.GetMethodFromHandle(method.MethodHandle, definition.TypeHandle) ?? method;
    }

    void Walk(MethodBase method)
    {
        var part = PartOf(method.Module.Assembly);
        var text = part.Text;
        text.Append("method #").Append(part.Methods[method]).Append(' ').Append(Signature(method, part));
        foreach (var attribute in method.GetCustomAttributesData()) text.Append(" [").Append(attribute).Append(']');
        text.Append('\n');
        var body = MethodBodies.Of(method);
        foreach (var local in body.Locals) text.Append("local ").Append(TypeName(local, part)).Append('\n');
        foreach (var clause in body.Clauses) text.Append(clause).Append('\n');
        foreach (var type in body.CatchTypes) text.Append("catch ").Append(TypeName(type, part)).Append('\n');
        foreach (var instruction in body.Instructions)
        {
            text.Append(instruction.OpCode.Name);
            if (instruction.Literal is { } literal) text.Append(' ').Append(literal);
            if (instruction.Member is { } member) text.Append(' ').Append(Operand(member, instruction.OpCode, part));
            text.Append('\n');
        }
    }

    string Operand(MemberInfo member, OpCode opCode, Part part)
    {
        switch (member)
        {
            case FieldInfo field:
                if (_parameters.Contains(field)) { if (opCode != OpCodes.Stfld) _read.Add(field); }
                else if (field.DeclaringType is { } owner && CodeScope.IsWalked(owner.Assembly) && !Generated(owner) && !field.IsStatic && !field.IsLiteral)
                    _fields.Add(field); // an instance field of the pipeline is set by its constructor; its value is recorded at run time
                // A static field's value comes from its type's static constructor.
                if (field.IsStatic && field.DeclaringType is { } holder && CodeScope.IsWalked(holder.Assembly)
                    && (holder.IsGenericType ? holder.GetGenericTypeDefinition() : holder).TypeInitializer is { } initializer)
                    Reached(initializer);
                return "field " + TypeName(field.DeclaringType!, part) + "::" + (Generated(field.DeclaringType) ? "" : field.Name) + " " + TypeName(field.FieldType, part);
            case MethodBase called:
                if (called is MethodInfo { IsSpecialName: true } getter && getter.Name.StartsWith("get_", StringComparison.Ordinal)
                    && getter.DeclaringType?.GetProperty(getter.Name[4..], BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic) is { } property
                    && _parameters.Contains(property))
                    _read.Add(property);
                Reached(called);
                if (opCode == OpCodes.Newobj) Instantiated(called.DeclaringType);
                // A generic method (JsonSerializer.Serialize<T>, Artifact.Json<T>) may reflect over its type arguments.
                if (called is MethodInfo { IsGenericMethod: true }) foreach (var argument in called.GetGenericArguments()) Reflected(argument);
                var instantiation = string.Join(",", GenericArguments(called).Select(t => TypeName(t, part)));
                return "call " + Reference(called, part) + (instantiation.Length > 0 ? "<" + instantiation + ">" : "");
            case Type type:
                if (opCode == OpCodes.Box || opCode == OpCodes.Newarr || opCode == OpCodes.Initobj) Instantiated(type);
                if (opCode == OpCodes.Ldtoken) Reflected(type);
                return TypeName(type, part);
            default:
                return member.Name;
        }
    }

    /// <summary>A walked method of the same assembly by its number there; anything else by its full signature.</summary>
    string Reference(MethodBase method, Part part)
    {
        var definition = Definition(method);
        if (definition.Module.Assembly == method.Module.Assembly && part.Methods.TryGetValue(definition, out var index) && Generated(definition.DeclaringType))
            return "#" + index;
        return Signature(method, part);
    }

    string Signature(MethodBase method, Part part)
    {
        var name = Generated(method.DeclaringType) || method.Name.Contains('<', StringComparison.Ordinal) ? "" : method.Name;
        return TypeName(method.DeclaringType!, part) + "::" + name + "(" + string.Join(",", method.GetParameters().Select(p => TypeName(p.ParameterType, part))) + ")"
            + (method is MethodInfo info ? TypeName(info.ReturnType, part) : "");
    }
}
