using System.Reflection;
using System.Reflection.Emit;
using System.Text;

namespace MlOps.Pipelines.Caching;

/// <summary>
/// The code a target runs, seen as IL: the bodies of its Executes delegates and, transitively, of every method
/// of the same assembly they call, construct or take the address of (including lambdas and async state
/// machines). Each metadata token is resolved to a stable name, so adding an unrelated method or string
/// elsewhere does not change the fingerprint; compiler-generated names (lambda and closure numbering, which
/// shift when other code changes) are replaced by their order of discovery. Methods of other assemblies are
/// not walked: those assemblies are listed as libraries with their identity (module version id; deterministic
/// builds make it a function of the library's content), so a changed library reruns the target too, and says
/// so. The .NET shared framework is left out, so a committed lock file does not churn between machines on
/// different runtime patches. The same walk records which <see cref="ParameterAttribute"/> members the code reads.
/// </summary>
sealed class CodeFingerprint
{
    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    readonly Assembly _assembly;
    readonly IReadOnlySet<MemberInfo> _parameters;
    readonly Dictionary<MethodBase, int> _visited = [];
    readonly Queue<MethodBase> _pending = new();
    readonly Dictionary<Type, int> _generatedTypes = [];
    readonly SortedDictionary<string, string> _libraries = new(StringComparer.Ordinal);
    readonly HashSet<FieldInfo> _fields = [];
    Dictionary<MethodBase, List<MethodBase>>? _implementations;
    readonly StringBuilder _text = new();

    CodeFingerprint(Assembly assembly, IReadOnlySet<MemberInfo> parameters)
    {
        _assembly = assembly;
        _parameters = parameters;
    }

    /// <summary>What the walk found.</summary>
    /// <param name="Hash">SHA-256 hex of the code reached.</param>
    /// <param name="Libraries">Other assemblies called: name → module version id.</param>
    /// <param name="ParametersRead">The parameter members the code reads.</param>
    /// <param name="FieldsRead">Other instance fields of this assembly's types the code reads (their values are inputs too).</param>
    /// <param name="Methods">Every method walked, in order.</param>
    public sealed record Result(string Hash, SortedDictionary<string, string> Libraries, IReadOnlySet<MemberInfo> ParametersRead,
        IReadOnlySet<FieldInfo> FieldsRead, IReadOnlyList<MethodBase> Methods);

    /// <summary>Walks <paramref name="code"/> and everything of the same assembly it reaches.</summary>
    public static Result Of(IEnumerable<Delegate> code, IReadOnlySet<MemberInfo> parameters)
    {
        var delegates = code.ToList();
        var assembly = delegates.FirstOrDefault()?.Method.Module.Assembly ?? typeof(CodeFingerprint).Assembly;
        var walker = new CodeFingerprint(assembly, parameters);
        var read = new HashSet<MemberInfo>();
        foreach (var action in delegates)
        {
            if (action.Method.Module.Assembly != walker._assembly) walker.External(action.Method);
            else walker.Enqueue(action.Method);
        }
        while (walker._pending.TryDequeue(out var method)) walker.Walk(method, read);
        return new Result(FileHasher.HashText(walker._text.ToString()), walker._libraries, read, walker._fields,
            [.. walker._visited.OrderBy(v => v.Value).Select(v => v.Key)]);
    }

    void Enqueue(MethodBase method)
    {
        if (method.Module.Assembly != _assembly) return;
        if (method is MethodInfo { IsGenericMethod: true, IsGenericMethodDefinition: false } generic) method = generic.GetGenericMethodDefinition();
        if (method.DeclaringType is { IsGenericType: true, IsGenericTypeDefinition: false } declaring)
            method = MethodBase.GetMethodFromHandle(method.MethodHandle, declaring.GetGenericTypeDefinition().TypeHandle) ?? method;
        if (_visited.ContainsKey(method)) return;
        _visited[method] = _visited.Count;
        _pending.Enqueue(method);
    }

    /// <summary>The shared framework folder (…/dotnet/shared), whose assemblies are the runtime's, not the project's.</summary>
    static readonly string SharedFramework = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(typeof(object).Assembly.Location))!)!;

    void External(MemberInfo member)
    {
        var module = member.Module;
        if (module.Assembly.Location.StartsWith(SharedFramework + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return;
        _libraries[module.Assembly.GetName().Name ?? module.Name] = module.ModuleVersionId.ToString("N");
    }

    void Walk(MethodBase method, HashSet<MemberInfo> read)
    {
        var stableName = Generated(method.DeclaringType) || method.Name.Contains('<', StringComparison.Ordinal) ? "" : method.Name;
        _text.Append("method #").Append(_visited[method]).Append(' ').Append(stableName).Append('\n');
        var body = method.GetMethodBody();
        if (body is null) return;
        foreach (var local in body.LocalVariables) _text.Append("local ").Append(TypeName(local.LocalType)).Append('\n');
        foreach (var clause in body.ExceptionHandlingClauses)
            _text.Append("try ").Append(clause.Flags).Append(' ').Append(clause.TryOffset).Append(' ').Append(clause.HandlerOffset)
                .Append(clause.Flags == ExceptionHandlingClauseOptions.Clause ? " " + TypeName(clause.CatchType!) : "").Append('\n');

        var il = body.GetILAsByteArray() ?? [];
        var typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var offset = 0; offset < il.Length;)
        {
            short value = il[offset] == 0xFE ? (short)(0xFE00 | il[offset + 1]) : il[offset];
            offset += il[offset] == 0xFE ? 2 : 1;
            var opCode = OpCodesByValue[value];
            _text.Append(opCode.Name);
            switch (opCode.OperandType)
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    _text.Append(' ').Append(il[offset]);
                    offset += 1;
                    break;
                case OperandType.InlineVar:
                    _text.Append(' ').Append(BitConverter.ToUInt16(il, offset));
                    offset += 2;
                    break;
                case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.ShortInlineR:
                    _text.Append(' ').Append(BitConverter.ToInt32(il, offset));
                    offset += 4;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    _text.Append(' ').Append(BitConverter.ToInt64(il, offset));
                    offset += 8;
                    break;
                case OperandType.InlineSwitch:
                    var count = BitConverter.ToInt32(il, offset);
                    _text.Append(' ').Append(Convert.ToHexString(il, offset, 4 + 4 * count));
                    offset += 4 + 4 * count;
                    break;
                default: // a metadata token
                    _text.Append(' ').Append(Resolve(method.Module, BitConverter.ToInt32(il, offset), opCode, typeArguments, methodArguments, read));
                    offset += 4;
                    break;
            }
            _text.Append('\n');
        }
    }

    string Resolve(Module module, int token, OpCode opCode, Type[]? typeArguments, Type[]? methodArguments, HashSet<MemberInfo> read)
    {
        try
        {
            switch (opCode.OperandType)
            {
                case OperandType.InlineString:
                    return "\"" + module.ResolveString(token) + "\"";
                case OperandType.InlineSig:
                    return "sig " + Convert.ToHexString(module.ResolveSignature(token));
                case OperandType.InlineType:
                    return TypeName(module.ResolveType(token, typeArguments, methodArguments));
            }
            var member = module.ResolveMember(token, typeArguments, methodArguments)!;
            switch (member)
            {
                case FieldInfo field:
                    if (_parameters.Contains(field)) read.Add(field);
                    else if (field.DeclaringType?.Assembly == _assembly && !Generated(field.DeclaringType))
                    {
                        // A static field's value comes from its type's static constructor: that is code too.
                        if (field.IsStatic && field.DeclaringType.TypeInitializer is { } initializer) Enqueue(initializer);
                        // An instance field of the pipeline is set by its constructor; its value is recorded at run time.
                        else if (!field.IsStatic && !field.IsLiteral) _fields.Add(field);
                    }
                    Touch(field.DeclaringType);
                    return "field " + TypeName(field.DeclaringType!) + "::" + (Generated(field.DeclaringType) ? "" : field.Name);
                case MethodBase called:
                    if (called is MethodInfo { IsSpecialName: true } getter && getter.Name.StartsWith("get_", StringComparison.Ordinal)
                        && getter.DeclaringType?.GetProperty(getter.Name[4..], BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic) is { } property
                        && _parameters.Contains(property))
                        read.Add(property);
                    if (called.Module.Assembly == _assembly)
                    {
                        Enqueue(called);
                        if (called.IsVirtual) foreach (var implementation in Implementations(called)) Enqueue(implementation);
                        Touch(called.DeclaringType);
                        var index = _visited.GetValueOrDefault(Definition(called), -1);
                        return "call #" + index;
                    }
                    External(called);
                    return "call " + TypeName(called.DeclaringType!) + "::" + called.Name + "(" +
                        string.Join(",", called.GetParameters().Select(p => TypeName(p.ParameterType))) + ")" +
                        (called is MethodInfo { IsGenericMethod: true } g ? "<" + string.Join(",", g.GetGenericArguments().Select(TypeName)) + ">" : "");
                case Type type:
                    return TypeName(type);
                default:
                    return member.Name;
            }
        }
        catch (ArgumentException)
        {
            return "token " + token.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// The overrides and interface implementations of <paramref name="method"/> in this assembly: a virtual call may
    /// land in any of them, so all are walked.
    /// </summary>
    IEnumerable<MethodBase> Implementations(MethodBase method)
    {
        if (_implementations is null)
        {
            _implementations = [];
            const BindingFlags declared = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
            foreach (var type in _assembly.GetTypes().Where(t => t.IsClass || t.IsValueType).OrderBy(t => t.MetadataToken))
            {
                foreach (var candidate in type.GetMethods(declared).Where(m => m.IsVirtual).OrderBy(m => m.MetadataToken))
                    if (candidate.GetBaseDefinition() is var root && root != candidate) Add(Definition(root), candidate);
                if (type.IsGenericTypeDefinition) continue;
                foreach (var contract in type.GetInterfaces())
                {
                    InterfaceMapping map;
                    try { map = type.GetInterfaceMap(contract); }
                    catch (ArgumentException) { continue; }
                    for (var i = 0; i < map.InterfaceMethods.Length; i++)
                        if (map.TargetMethods[i].DeclaringType == type) Add(Definition(map.InterfaceMethods[i]), map.TargetMethods[i]);
                }
            }
        }
        var key = method is MethodInfo info ? Definition(info.GetBaseDefinition()) : Definition(method);
        return _implementations.GetValueOrDefault(key) ?? [];

        void Add(MethodBase contract, MethodBase implementation)
        {
            if (!_implementations.TryGetValue(contract, out var list)) _implementations[contract] = list = [];
            list.Add(implementation);
        }
    }

    static MethodBase Definition(MethodBase method)
    {
        if (method is MethodInfo { IsGenericMethod: true, IsGenericMethodDefinition: false } generic) method = generic.GetGenericMethodDefinition();
        if (method.DeclaringType is { IsGenericType: true, IsGenericTypeDefinition: false } declaring)
            method = MethodBase.GetMethodFromHandle(method.MethodHandle, declaring.GetGenericTypeDefinition().TypeHandle) ?? method;
        return method;
    }

    /// <summary>
    /// Numbers a compiler-generated type of this assembly by discovery. A state machine (async method, iterator) is
    /// driven through an interface the IL never calls directly, so all its methods are walked. Closures are not:
    /// the lambdas in them are reached one by one through ldftn, and the class-wide one holds every target's lambdas.
    /// </summary>
    void Touch(Type? type)
    {
        if (type is null || !Generated(type) || type.Assembly != _assembly) return;
        if (type.IsGenericType && !type.IsGenericTypeDefinition) type = type.GetGenericTypeDefinition();
        if (_generatedTypes.ContainsKey(type)) return;
        _generatedTypes[type] = _generatedTypes.Count;
        if (!typeof(System.Runtime.CompilerServices.IAsyncStateMachine).IsAssignableFrom(type) && !typeof(System.Collections.IEnumerator).IsAssignableFrom(type))
            return;
        const BindingFlags all = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)).OrderBy(m => m.MetadataToken))
            Enqueue(method);
    }

    static bool Generated(Type? type)
    {
        for (; type is not null; type = type.DeclaringType)
            if (type.Name.Contains('<', StringComparison.Ordinal)) return true;
        return false;
    }

    string TypeName(Type type)
    {
        if (type.IsGenericParameter) return "!" + type.GenericParameterPosition;
        if (Generated(type) && type.Assembly == _assembly)
        {
            Touch(type);
            return "generated#" + _generatedTypes[type.IsGenericType ? type.GetGenericTypeDefinition() : type];
        }
        if (type.Assembly != _assembly) External(type);
        if (type.IsArray) return TypeName(type.GetElementType()!) + "[]";
        if (type.IsByRef || type.IsPointer) return TypeName(type.GetElementType()!) + (type.IsByRef ? "&" : "*");
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
            return TypeName(type.GetGenericTypeDefinition()) + "<" + string.Join(",", type.GetGenericArguments().Select(TypeName)) + ">";
        return type.FullName ?? type.Name;
    }
}
