using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;

namespace MlOps.Pipelines.Caching;

/// <summary>One IL instruction: its opcode and either a literal operand (number, string, branch) or a resolved member.</summary>
readonly record struct Instruction(OpCode OpCode, string? Literal, MemberInfo? Member);

/// <summary>A method body decoded once: locals, exception clauses and instructions with every token resolved.</summary>
sealed record DecodedBody(IReadOnlyList<Type> Locals, IReadOnlyList<string> Clauses, IReadOnlyList<Type> CatchTypes, IReadOnlyList<Instruction> Instructions);

/// <summary>
/// Decodes method bodies for <see cref="CodeFingerprint"/>. Each target walks much of the same library code, so a
/// body is decoded once per process (weakly keyed, so an unloaded assembly's methods do not stay alive).
/// </summary>
static class MethodBodies
{
    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    static readonly ConditionalWeakTable<MethodBase, DecodedBody> Decoded = [];
    static readonly DecodedBody Empty = new([], [], [], []);

    /// <summary>The decoded body, or an empty one for abstract, extern and runtime-implemented methods.</summary>
    public static DecodedBody Of(MethodBase method) => Decoded.GetValue(method, Decode);

    static DecodedBody Decode(MethodBase method)
    {
        var body = method.GetMethodBody();
        if (body is null) return Empty;
        var clauses = new List<string>();
        var catchTypes = new List<Type>();
        foreach (var clause in body.ExceptionHandlingClauses)
        {
            clauses.Add($"try {clause.Flags} {clause.TryOffset} {clause.TryLength} {clause.HandlerOffset} {clause.HandlerLength}" +
                (clause.Flags == ExceptionHandlingClauseOptions.Filter ? $" filter {clause.FilterOffset}" : ""));
            if (clause.Flags == ExceptionHandlingClauseOptions.Clause) catchTypes.Add(clause.CatchType!);
        }

        var il = body.GetILAsByteArray() ?? [];
        var typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var instructions = new List<Instruction>(il.Length / 3);
        for (var offset = 0; offset < il.Length;)
        {
            short value = il[offset] == 0xFE ? (short)(0xFE00 | il[offset + 1]) : il[offset];
            offset += il[offset] == 0xFE ? 2 : 1;
            var opCode = OpCodesByValue[value];
            string? literal = null;
            MemberInfo? member = null;
            switch (opCode.OperandType)
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    literal = il[offset].ToString(System.Globalization.CultureInfo.InvariantCulture);
                    offset += 1;
                    break;
                case OperandType.InlineVar:
                    literal = BitConverter.ToUInt16(il, offset).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    offset += 2;
                    break;
                case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.ShortInlineR:
                    literal = BitConverter.ToInt32(il, offset).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    offset += 4;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    literal = BitConverter.ToInt64(il, offset).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    offset += 8;
                    break;
                case OperandType.InlineSwitch:
                    var count = BitConverter.ToInt32(il, offset);
                    literal = Convert.ToHexString(il, offset, 4 + 4 * count);
                    offset += 4 + 4 * count;
                    break;
                default: // a metadata token
                    (literal, member) = Resolve(method.Module, BitConverter.ToInt32(il, offset), opCode, typeArguments, methodArguments);
                    offset += 4;
                    break;
            }
            instructions.Add(new Instruction(opCode, literal, member));
        }
        return new DecodedBody([.. body.LocalVariables.Select(l => l.LocalType)], clauses, catchTypes, instructions);
    }

    static (string? Literal, MemberInfo? Member) Resolve(Module module, int token, OpCode opCode, Type[]? typeArguments, Type[]? methodArguments)
    {
        try
        {
            return opCode.OperandType switch
            {
                OperandType.InlineString => ("\"" + module.ResolveString(token) + "\"", null),
                OperandType.InlineSig => ("sig " + Convert.ToHexString(module.ResolveSignature(token)), null),
                OperandType.InlineType => (null, module.ResolveType(token, typeArguments, methodArguments)),
                _ => (null, module.ResolveMember(token, typeArguments, methodArguments)),
            };
        }
        catch (Exception e) when (e is ArgumentException or TypeLoadException or MissingMemberException or BadImageFormatException or FileNotFoundException)
        {
            // Unresolvable here means unrunnable too; the raw token still changes when the reference does.
            return ("token " + token.ToString("x8", System.Globalization.CultureInfo.InvariantCulture), null);
        }
    }
}
