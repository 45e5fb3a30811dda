using System.Reflection;
using System.Text;

namespace MlOps.Pipelines.Caching;

/// <summary>The types the walk meets: their names, shapes, static constructors and the code other code may call back.</summary>
sealed partial class CodeFingerprint
{
    const BindingFlags Declared = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    /// <summary>
    /// A walked type in use: its shape counts, and its static constructor may run, so it is walked. A state machine (async method, iterator) is driven through an interface the IL never calls directly,
    /// so all its methods are walked. Closures are not: their lambdas are reached one by one through ldftn, and the
    /// class-wide one holds every target's lambdas.
    /// </summary>
    void Touch(Type? type)
    {
        if (type is null || !CodeScope.IsWalked(type.Assembly)) return;
        {
            if (type.IsGenericType && !type.IsGenericTypeDefinition) type = type.GetGenericTypeDefinition();
            var part = PartOf(type.Assembly);
            if (!part.Touched.Add(type)) return;
            if (Generated(type) && !part.GeneratedTypes.ContainsKey(type)) part.GeneratedTypes[type] = part.GeneratedTypes.Count;
            Shape(type, part);
            // A static constructor of its own runs at the first use of the type; one made of field initialisers only
            // (beforefieldinit) runs at the first static field access, which Operand sees.
            if (!type.Attributes.HasFlag(TypeAttributes.BeforeFieldInit) && type.TypeInitializer is { } initializer) Reached(initializer);
            if (type.BaseType is { } baseType) Touch(baseType);
            if (Generated(type) && (typeof(System.Runtime.CompilerServices.IAsyncStateMachine).IsAssignableFrom(type) || typeof(System.Collections.IEnumerator).IsAssignableFrom(type)))
                foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)).OrderBy(m => m.MetadataToken))
                    Reached(method);
        }
    }

    /// <summary>
    /// What the IL does not say about a type but its behaviour depends on: base type, interfaces, layout, fields
    /// (a struct written with MemoryMarshal), property types and attributes (a serializer reads them).
    /// </summary>
    void Shape(Type type, Part part)
    {
        // Built apart and appended whole: naming a field's type may touch (and shape) another type meanwhile.
        var text = new StringBuilder();
        text.Append("type ").Append(TypeName(type, part)).Append(' ').Append(type.Attributes);
        if (type.BaseType is { } baseType) text.Append(" : ").Append(TypeName(baseType, part));
        foreach (var contract in type.GetInterfaces().Select(i => TypeName(i, part)).Order(StringComparer.Ordinal)) text.Append(", ").Append(contract);
        text.Append('\n');
        if (!Generated(type)) // closure fields are captured locals, named by the IL that uses them
        {
            foreach (var attribute in type.GetCustomAttributesData()) text.Append("  [").Append(attribute).Append("]\n");
            foreach (var field in type.GetFields(Declared).OrderBy(f => f.MetadataToken))
            {
                text.Append("  field ").Append(field.Name).Append(' ').Append(TypeName(field.FieldType, part)).Append(' ').Append(field.Attributes);
                if (field.IsLiteral) text.Append(" = ").Append(field.GetRawConstantValue());
                foreach (var attribute in field.GetCustomAttributesData()) text.Append(" [").Append(attribute).Append(']');
                text.Append('\n');
            }
            foreach (var property in type.GetProperties(Declared).OrderBy(p => p.MetadataToken))
            {
                text.Append("  property ").Append(property.Name).Append(' ').Append(TypeName(property.PropertyType, part));
                foreach (var attribute in property.GetCustomAttributesData()) text.Append(" [").Append(attribute).Append(']');
                text.Append('\n');
            }
        }
        part.Shapes.Append(text);
    }

    /// <summary>
    /// An object of <paramref name="type"/> exists and may be handed to code that is not walked (the framework, a
    /// package), which can call any of its virtual and interface methods: walk them all.
    /// </summary>
    void Instantiated(Type? type)
    {
        for (; type is not null && CodeScope.IsWalked(type.Assembly); type = type.BaseType)
        {
            if (type.IsGenericType && !type.IsGenericTypeDefinition) type = type.GetGenericTypeDefinition();
            if (!_instantiated.Add(type)) return;
            Touch(type);
            foreach (var method in type.GetMethods(Declared).Where(m => m.IsVirtual).OrderBy(m => m.MetadataToken)) Reached(method);
        }
    }

    /// <summary>
    /// Reflection may see <paramref name="type"/> (a generic argument, <c>typeof</c>): a serializer reads its
    /// properties and constructs it, and what it finds in its public members in turn. Walk every method.
    /// </summary>
    void Reflected(Type type)
    {
        if (type.HasElementType) { Reflected(type.GetElementType()!); return; }
        if (type.IsGenericType)
        {
            foreach (var argument in type.GetGenericArguments()) Reflected(argument);
            if (!type.IsGenericTypeDefinition) type = type.GetGenericTypeDefinition();
        }
        if (type.IsGenericParameter || !CodeScope.IsWalked(type.Assembly) || Generated(type) || !_reflected.Add(type)) return;
        Instantiated(type);
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)).OrderBy(m => m.MetadataToken))
            Reached(method);
        // What a serializer walks into: public members (reflection over private state is not a thing in .NET serializers).
        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly)) Reflected(field.FieldType);
        foreach (var property in type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly)) Reflected(property.PropertyType);
        if (type.BaseType is { } baseType) Reflected(baseType);
    }

    internal static bool Generated(Type? type)
    {
        for (; type is not null; type = type.DeclaringType)
            if (type.Name.Contains('<', StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>A stable name; a walked type given as argument to walked generic code may be seen by reflection (see <see cref="Reflected"/>).</summary>
    string TypeName(Type type, Part part)
    {
        if (type.IsGenericParameter) return (type.DeclaringMethod is null ? "!" : "!!") + type.GenericParameterPosition;
        if (type.IsArray) return TypeName(type.GetElementType()!, part) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        if (type.IsByRef || type.IsPointer) return TypeName(type.GetElementType()!, part) + (type.IsByRef ? "&" : "*");
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            // A walked generic type runs with its arguments and may hand them to reflection (a serializer of T).
            if (CodeScope.IsWalked(type.Assembly) && !Generated(type)) foreach (var argument in type.GetGenericArguments()) Reflected(argument);
            return TypeName(type.GetGenericTypeDefinition(), part) + "<" + string.Join(",", type.GetGenericArguments().Select(t => TypeName(t, part))) + ">";
        }
        if (!CodeScope.IsWalked(type.Assembly))
        {
            External(type.Assembly);
            return type.FullName ?? type.Name;
        }
        Touch(type);
        if (Generated(type))
        {
            var own = PartOf(type.Assembly);
            var number = own.GeneratedTypes.GetValueOrDefault(type, -1);
            return (own == part ? "generated#" : "generated#" + type.Assembly.GetName().Name + "#") + number;
        }
        return type.FullName ?? type.Name;
    }
}
