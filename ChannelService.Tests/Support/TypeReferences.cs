using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace ChannelService.Tests.Support;

/// <summary>
/// Every type a compiled type uses: its base type and interfaces, attributes, fields, properties, events, method
/// signatures, local variables, catch clauses, and each type, method and field named by its IL (calls, object
/// creation, casts, typeof, field access), with generic arguments and array element types unwrapped. Lambdas, local
/// functions and async state machines are nested types and are read like any other.
/// </summary>
internal static partial class TypeReferences
{
    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>
    /// The uses, by the types in <paramref name="ns"/> (and namespaces below it) of <paramref name="assembly"/>, of
    /// types declared in the same assembly outside <paramref name="ns"/>, as "user -> used (how)". Types the compiler
    /// emits into every assembly (NullableAttribute, &lt;PrivateImplementationDetails&gt;, generated regexes) are
    /// not counted.
    /// </summary>
    public static List<string> OutsideNamespace(Assembly assembly, string ns)
    {
        var inside = assembly.GetTypes().Where(t => InNamespace(t, ns)).ToList();
        return Violations(inside, used => used.Assembly == assembly && !InNamespace(used, ns) && !IsCompilerEmitted(used));
    }

    public static List<string> Violations(IEnumerable<Type> users, Func<Type, bool> forbidden)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            foreach (var (used, how) in Of(user))
            {
                foreach (var part in Unwrap(used))
                {
                    if (forbidden(part))
                    {
                        found.Add($"{user.FullName} -> {part.FullName} ({how})");
                    }
                }
            }
        }

        return [.. found];
    }

    private static bool InNamespace(Type type, string ns) =>
        type.Namespace is { } n && (n == ns || n.StartsWith(ns + ".", StringComparison.Ordinal));

    private static bool IsCompilerEmitted(Type type) =>
        type.Namespace is null or "System.Runtime.CompilerServices" or "Microsoft.CodeAnalysis" or "System.Text.RegularExpressions.Generated"
        || type.Name.StartsWith('<')
        || type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) && type.DeclaringType is null;

    /// <summary>The type itself, its element type and generic arguments, recursively.</summary>
    private static IEnumerable<Type> Unwrap(Type type)
    {
        if (type.HasElementType)
        {
            foreach (var t in Unwrap(type.GetElementType()!))
            {
                yield return t;
            }

            yield break;
        }

        if (type.IsGenericParameter)
        {
            yield break;
        }

        if (type.IsGenericType)
        {
            yield return type.GetGenericTypeDefinition();
            foreach (var argument in type.GetGenericArguments())
            {
                foreach (var t in Unwrap(argument))
                {
                    yield return t;
                }
            }

            yield break;
        }

        yield return type;
    }

    private static IEnumerable<(Type Used, string How)> Of(Type type)
    {
        if (type.BaseType is { } baseType)
        {
            yield return (baseType, "base type");
        }

        foreach (var i in type.GetInterfaces())
        {
            yield return (i, "interface");
        }

        foreach (var a in Attributes(type.CustomAttributes))
        {
            yield return (a, "attribute");
        }

        foreach (var f in type.GetFields(Everything))
        {
            yield return (f.FieldType, $"field {f.Name}");
            foreach (var a in Attributes(f.CustomAttributes))
            {
                yield return (a, $"attribute of {f.Name}");
            }
        }

        foreach (var p in type.GetProperties(Everything))
        {
            yield return (p.PropertyType, $"property {p.Name}");
        }

        foreach (var e in type.GetEvents(Everything))
        {
            yield return (e.EventHandlerType!, $"event {e.Name}");
        }

        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            foreach (var used in Of(method))
            {
                yield return used;
            }
        }
    }

    private static IEnumerable<(Type Used, string How)> Of(MethodBase method)
    {
        if (method is MethodInfo info)
        {
            yield return (info.ReturnType, $"return of {method.Name}");
        }

        foreach (var p in method.GetParameters())
        {
            yield return (p.ParameterType, $"parameter of {method.Name}");
        }

        foreach (var a in Attributes(method.CustomAttributes))
        {
            yield return (a, $"attribute of {method.Name}");
        }

        var body = method.GetMethodBody();
        if (body is null)
        {
            yield break;
        }

        foreach (var local in body.LocalVariables)
        {
            yield return (local.LocalType, $"local in {method.Name}");
        }

        foreach (var clause in body.ExceptionHandlingClauses)
        {
            if (clause.Flags == ExceptionHandlingClauseOptions.Clause)
            {
                yield return (clause.CatchType!, $"catch in {method.Name}");
            }
        }

        foreach (var member in ReferencedMembers(method, body.GetILAsByteArray() ?? []))
        {
            var how = $"IL of {method.Name}";
            switch (member)
            {
                case Type t:
                    yield return (t, how);
                    break;
                case FieldInfo f:
                    yield return (f.DeclaringType!, how);
                    yield return (f.FieldType, how);
                    break;
                case MethodBase m:
                    yield return (m.DeclaringType!, how);
                    if (m is MethodInfo mi)
                    {
                        yield return (mi.ReturnType, how);
                        foreach (var g in mi.IsGenericMethod ? mi.GetGenericArguments() : [])
                        {
                            yield return (g, how);
                        }
                    }

                    foreach (var p in m.GetParameters())
                    {
                        yield return (p.ParameterType, how);
                    }

                    break;
            }
        }
    }

    private static IEnumerable<Type> Attributes(IEnumerable<CustomAttributeData> attributes)
    {
        foreach (var a in attributes)
        {
            yield return a.AttributeType;
            foreach (var argument in a.ConstructorArguments.Concat(a.NamedArguments.Select(n => n.TypedValue)))
            {
                yield return argument.ArgumentType;
                if (argument.Value is Type t)
                {
                    yield return t;
                }
            }
        }
    }

    /// <summary>The members named by metadata tokens in a method body, read opcode by opcode.</summary>
    private static List<MemberInfo> ReferencedMembers(MethodBase method, byte[] il)
    {
        var members = new List<MemberInfo>();
        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var i = 0;
        while (i < il.Length)
        {
            short value = il[i++];
            if (value == 0xFE)
            {
                value = (short)(0xFE00 | il[i++]);
            }

            var opcode = OpCodesByValue[value];
            switch (opcode.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    members.Add(method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArguments, methodArguments)!);
                    i += 4;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                default:
                    // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR: a 4-byte operand that names no type.
                    i += 4;
                    break;
            }
        }

        return members;
    }

    /// <summary>
    /// Lines of C# under <paramref name="folder"/> (namespace <paramref name="ns"/>, a child of <c>ChannelService</c>)
    /// that name another <c>ChannelService.*</c> namespace: a <c>using</c>, a qualified or <c>global::</c> name, or a
    /// name relative to the parent namespace (<c>Sources.Feeds.FeedDownload</c> inside <c>ChannelService.Calendars</c>),
    /// given the top-level namespaces in <paramref name="siblings"/>. Comment lines are skipped.
    /// </summary>
    public static List<string> SourceLinesOutsideNamespace(string folder, string ns, IEnumerable<string> siblings)
    {
        var relative = new Regex(@"(?<![\w.])(?:" + string.Join('|', siblings.Select(Regex.Escape)) + @")\.[A-Z]\w*");
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file);
            for (var n = 0; n < lines.Length; n++)
            {
                var line = lines[n].Trim();
                if (line.StartsWith("//", StringComparison.Ordinal) || line.StartsWith('*'))
                {
                    continue;
                }

                var outside = ServiceNamespace().Matches(line).Select(m => m.Groups["ns"].Value)
                    .Any(named => named != ns && !named.StartsWith(ns + ".", StringComparison.Ordinal));
                if (outside || relative.IsMatch(line))
                {
                    found.Add($"{Path.GetRelativePath(folder, file)}:{n + 1}: {line}");
                }
            }
        }

        return found;
    }

    /// <summary><c>ChannelService</c> followed by at least one more name: <c>ChannelService.Sources.Feeds</c>.</summary>
    [GeneratedRegex(@"(?<![\w.])(?:global::)?(?<ns>ChannelService(?:\.\w+)+)")]
    private static partial Regex ServiceNamespace();
}
