using System.Reflection;
using System.Reflection.Emit;

namespace Streaming.UnitTests.Architecture;

/// <summary>
/// Which namespaces of an assembly use which, read from the compiled assembly: every type's base type, interfaces,
/// attributes, fields, properties, events and signatures, and every type, method and field its method bodies name
/// (lambdas and async state machines count for the type that declares them).
/// </summary>
internal static class NamespaceReferences
{
    private static readonly Dictionary<short, OpCode> s_opCodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>For each namespace under <paramref name="root"/>, the other namespaces under it that its types use.</summary>
    public static Dictionary<string, HashSet<string>> Of(Assembly assembly, string root)
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            if (type.Namespace is not { } from || !Under(from, root))
            {
                continue;
            }
            var uses = graph.TryGetValue(from, out var set) ? set : graph[from] = new HashSet<string>(StringComparer.Ordinal);
            foreach (var used in TypesUsedBy(type))
            {
                if (used.Namespace is { } to && to != from && Under(to, root))
                {
                    uses.Add(to);
                }
            }
        }
        return graph;
    }

    /// <summary>The namespaces that take part in a cycle, each cycle as one group; empty when every dependency points one way.</summary>
    public static List<List<string>> Cycles(Dictionary<string, HashSet<string>> graph)
    {
        // Tarjan's strongly connected components: a component of more than one namespace is a cycle.
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var cycles = new List<List<string>>();
        var next = 0;

        void Visit(string node)
        {
            index[node] = low[node] = next++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var to in graph.TryGetValue(node, out var edges) ? edges : [])
            {
                if (!index.TryGetValue(to, out var visited))
                {
                    Visit(to);
                    low[node] = Math.Min(low[node], low[to]);
                }
                else if (onStack.Contains(to))
                {
                    low[node] = Math.Min(low[node], visited);
                }
            }
            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                if (component.Count > 1)
                {
                    component.Sort(StringComparer.Ordinal);
                    cycles.Add(component);
                }
            }
        }

        foreach (var node in graph.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }
        return cycles;
    }

    /// <summary>Every type that <paramref name="type"/> names, with the element types and generic arguments of each.</summary>
    public static IEnumerable<Type> TypesUsedBy(Type type) => ReferencedTypes(type).SelectMany(Flatten);

    public static bool Under(string ns, string root) =>
        ns == root || ns.StartsWith(root + ".", StringComparison.Ordinal);

    private static IEnumerable<Type> ReferencedTypes(Type type)
    {
        if (type.BaseType is { } baseType)
        {
            yield return baseType;
        }
        foreach (var contract in type.GetInterfaces())
        {
            yield return contract;
        }
        foreach (var attribute in type.CustomAttributes)
        {
            yield return attribute.AttributeType;
        }
        foreach (var field in type.GetFields(Declared))
        {
            yield return field.FieldType;
        }
        foreach (var property in type.GetProperties(Declared))
        {
            yield return property.PropertyType;
        }
        foreach (var @event in type.GetEvents(Declared))
        {
            yield return @event.EventHandlerType!;
        }
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (method is MethodInfo info)
            {
                yield return info.ReturnType;
            }
            foreach (var parameter in method.GetParameters())
            {
                yield return parameter.ParameterType;
            }
            foreach (var used in BodyReferences(method))
            {
                yield return used;
            }
        }
    }

    /// <summary>The types that a method's IL names: its locals, and the tokens of its calls, field accesses and type operands.</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        foreach (var local in method.GetMethodBody()?.LocalVariables ?? [])
        {
            yield return local.LocalType;
        }
        foreach (var member in MembersNamedBy(method))
        {
            if (member is Type used)
            {
                yield return used;
            }
            else if (member.DeclaringType is { } owner)
            {
                yield return owner;
                if (member is FieldInfo field)
                {
                    yield return field.FieldType;
                }
                if (member is MethodInfo called)
                {
                    yield return called.ReturnType;
                    foreach (var argument in called.IsGenericMethod ? called.GetGenericArguments() : [])
                    {
                        yield return argument;
                    }
                }
            }
        }
    }

    /// <summary>The members (types, methods, constructors, fields) that a method's IL names as operands: what it calls,
    /// reads, writes and casts to.</summary>
    public static IEnumerable<MemberInfo> MembersNamedBy(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray() ?? [];
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            var code = il[at] == 0xFE ? s_opCodes[(short)(0xFE00 | il[at + 1])] : s_opCodes[il[at]];
            at += code.Size;
            switch (code.OperandType)
            {
                case OperandType.InlineMethod:
                case OperandType.InlineField:
                case OperandType.InlineType:
                case OperandType.InlineTok:
                    if (Resolve(method.Module, BitConverter.ToInt32(il, at), typeArguments, methodArguments) is { } member)
                    {
                        yield return member;
                    }
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    at += 8;
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineNone:
                    break;
                default:
                    at += 4;
                    break;
            }
        }
    }

    private static MemberInfo? Resolve(Module module, int token, Type[]? typeArguments, Type[]? methodArguments)
    {
        try
        {
            return module.ResolveMember(token, typeArguments, methodArguments);
        }
        catch (ArgumentException)
        {
            return null;    // a string or signature token, or a member of an assembly not loaded: not one of ours
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>A type with its element type and generic arguments, for <c>List&lt;Job&gt;[]</c> names <c>Job</c> too.</summary>
    private static IEnumerable<Type> Flatten(Type type)
    {
        if (type.HasElementType)
        {
            foreach (var inner in Flatten(type.GetElementType()!))
            {
                yield return inner;
            }
            yield break;
        }
        yield return type;
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                foreach (var inner in Flatten(argument))
                {
                    yield return inner;
                }
            }
        }
    }
}
