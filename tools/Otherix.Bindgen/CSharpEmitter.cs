using System.Globalization;
using System.Text;

namespace Otherix.Bindgen;

/// <summary>Turns one libvirt header's declarations into C#: enums, structs with their exact layout, and LibraryImport functions.</summary>
internal sealed class CSharpEmitter(HeaderModel model, ApiDocs docs)
{
    private static readonly HashSet<string> Keywords =
    [
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
        "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
        "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override",
        "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short",
        "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof",
        "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
    ];

    private static readonly Dictionary<string, string> KnownTypedefs = new(StringComparer.Ordinal)
    {
        ["size_t"] = "nuint",
        ["ssize_t"] = "nint",
        ["int8_t"] = "sbyte",
        ["uint8_t"] = "byte",
        ["int16_t"] = "short",
        ["uint16_t"] = "ushort",
        ["int32_t"] = "int",
        ["uint32_t"] = "uint",
        ["int64_t"] = "long",
        ["uint64_t"] = "ulong",
    };

    /// <summary>The C# source for <paramref name="header"/>, or null when it declares nothing we bind.</summary>
    public string Emit(string header, string banner)
    {
        var types = new StringBuilder();
        var functions = new StringBuilder();
        var emitted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cursor in model.Declarations.GetValueOrDefault(header) ?? [])
        {
            switch (cursor.Kind)
            {
                case CursorKind.EnumDecl when Clang.IsCursorDefinition(cursor) != 0:
                    EmitEnum(cursor, types, emitted);
                    break;
                case CursorKind.StructDecl or CursorKind.UnionDecl when Clang.IsCursorDefinition(cursor) != 0:
                    EmitRecord(cursor, NameOf(Clang.GetCursorType(cursor)), types, emitted);
                    break;
                case CursorKind.FunctionDecl:
                    EmitFunction(cursor, functions);
                    break;
            }
        }

        var text = new StringBuilder();
        text.Append(banner);
        text.Append("namespace Otherix.Native.Generated;\n\n");
        text.Append(types);
        if (functions.Length > 0)
        {
            text.Append("internal static unsafe partial class LibvirtNative\n{\n");
            text.Append(functions.ToString().TrimEnd('\n')).Append('\n');
            text.Append("}\n");
        }

        return text.ToString();
    }

    private void EmitEnum(CXCursor cursor, StringBuilder output, HashSet<string> emitted)
    {
        var name = NameOf(Clang.GetCursorType(cursor));
        if (!emitted.Add(name))
        {
            return;
        }

        var underlying = Clang.GetCanonicalType(Clang.GetEnumDeclIntegerType(cursor)).Kind == TypeKind.UInt ? "uint" : "int";
        var members = Clang.Children(cursor).Where(c => c.Kind == CursorKind.EnumConstantDecl)
            .Select(c => (Name: Clang.Spelling(c),
                          Value: underlying == "uint"
                              ? Clang.GetEnumConstantDeclUnsignedValue(c).ToString(CultureInfo.InvariantCulture)
                              : Clang.GetEnumConstantDeclValue(c).ToString(CultureInfo.InvariantCulture),
                          Raw: Clang.GetEnumConstantDeclUnsignedValue(c)))
            .ToList();

        Summary(output, docs.Enum(name), "");
        if (IsFlags(name, members.Select(m => m.Raw).ToList()))
        {
            output.Append("[System.Flags]\n");
        }

        output.Append($"public enum {name} : {underlying}\n{{\n");
        foreach (var member in members)
        {
            Summary(output, docs.EnumValue(member.Name), "    ");
            output.Append($"    {member.Name} = {member.Value},\n");
        }

        output.Append("}\n\n");
    }

    /// <summary>Flag enums: named so by libvirt ("...Flags", "...FlagValues"), or every member is a distinct bit.</summary>
    private static bool IsFlags(string name, List<ulong> values)
    {
        if (name.Contains("Flag", StringComparison.Ordinal))
        {
            return true;
        }

        var bits = values.Where(v => v != 0).ToList();
        return bits.Count >= 3 && bits.All(v => (v & (v - 1)) == 0) && bits.Distinct().Count() == bits.Count;
    }

    private void EmitRecord(CXCursor cursor, string name, StringBuilder output, HashSet<string> emitted)
    {
        if (!emitted.Add(name))
        {
            return;
        }

        var size = Clang.TypeGetSizeOf(Clang.GetCursorType(cursor));
        var nested = new List<(CXCursor Cursor, string Name)>();
        var body = new StringBuilder();
        foreach (var field in Clang.Children(cursor).Where(c => c.Kind == CursorKind.FieldDecl))
        {
            var fieldName = Identifier(Clang.Spelling(field));
            var offset = Clang.CursorGetOffsetOfField(field) / 8;
            var type = Clang.GetCursorType(field);
            var canonical = Clang.GetCanonicalType(type);
            string declaration;
            if (canonical.Kind == TypeKind.ConstantArray)
            {
                var element = Primitive(Clang.GetCanonicalType(Clang.GetArrayElementType(canonical)))
                    ?? throw new GeneratorException($"{name}.{fieldName}: arrays of {Clang.Spelling(canonical)} are not supported");
                declaration = $"public fixed {element} {fieldName}[{Clang.GetArraySize(canonical)}];";
            }
            else if (canonical.Kind == TypeKind.Record && Clang.CursorIsAnonymous(Clang.GetTypeDeclaration(canonical)) != 0)
            {
                var nestedName = $"{name}_{fieldName.TrimStart('@')}";
                nested.Add((Clang.GetTypeDeclaration(canonical), nestedName));
                declaration = $"public {nestedName} {fieldName};";
            }
            else
            {
                declaration = $"public {Map(type, parameter: false)} {fieldName};";
            }

            body.Append($"    [FieldOffset({offset})]\n    {declaration}\n");
        }

        Summary(output, docs.Struct(name), "");
        output.Append($"[StructLayout(LayoutKind.Explicit, Size = {size})]\n");
        output.Append($"internal unsafe struct {name}\n{{\n");
        output.Append(body.ToString().Replace("\n    [FieldOffset", "\n\n    [FieldOffset", StringComparison.Ordinal));
        output.Append("}\n\n");
        foreach (var (nestedCursor, nestedName) in nested)
        {
            EmitRecord(nestedCursor, nestedName, output, emitted);
        }
    }

    private void EmitFunction(CXCursor cursor, StringBuilder output)
    {
        var name = Clang.Spelling(cursor);
        var type = Clang.GetCursorType(cursor);
        if (Clang.IsFunctionTypeVariadic(type) != 0)
        {
            output.Append($"    // {name}: variadic, not bound.\n\n");
            return;
        }

        var types = new List<string>();
        var names = new List<string>();
        var isSize = new List<bool>();
        for (uint i = 0, n = (uint)Clang.CursorGetNumArguments(cursor); i < n; i++)
        {
            var argument = Clang.CursorGetArgument(cursor, i);
            var argumentName = Clang.Spelling(argument);
            types.Add(Map(Clang.GetCursorType(argument), parameter: true));
            isSize.Add(Clang.Take(Clang.GetTypedefName(Clang.GetCursorType(argument))) == "size_t");
            names.Add(Identifier(argumentName.Length > 0 ? argumentName : $"arg{i}"));
        }

        // A const char* followed by its length is a byte buffer (virStreamSend), not a string.
        for (var i = 0; i + 1 < types.Count; i++)
        {
            if (types[i] == "string?" && isSize[i + 1])
            {
                types[i] = "byte*";
            }
        }

        var parameters = types.Zip(names, (t, n) => $"{t} {n}");

        Summary(output, docs.Function(name), "    ");
        output.Append($"    [LibraryImport(Library, EntryPoint = \"{name}\", StringMarshalling = StringMarshalling.Utf8)]\n");
        output.Append($"    internal static partial {Map(Clang.GetCursorResultType(cursor), parameter: false)} {name}({string.Join(", ", parameters)});\n\n");
    }

    /// <summary>The C# type for a C type. <c>const char*</c> parameters become UTF-8 marshalled strings; other pointers stay pointers.</summary>
    private string Map(CXType type, bool parameter)
    {
        switch (type.Kind)
        {
            case TypeKind.Elaborated:
                return Map(Clang.TypeGetNamedType(type), parameter);
            case TypeKind.Typedef:
            {
                if (KnownTypedefs.TryGetValue(Clang.Take(Clang.GetTypedefName(type)), out var known))
                {
                    return known;
                }

                return Map(Clang.GetCanonicalType(type), parameter);
            }

            case TypeKind.Pointer:
            {
                var pointee = Clang.GetPointeeType(type);
                var canonical = Clang.GetCanonicalType(pointee);
                switch (canonical.Kind)
                {
                    case TypeKind.CharS or TypeKind.CharU or TypeKind.SChar:
                        return parameter && Clang.IsConstQualifiedType(pointee) != 0 ? "string?" : "byte*";
                    case TypeKind.FunctionProto or TypeKind.FunctionNoProto:
                        return FunctionPointer(canonical);
                    case TypeKind.Void:
                        return "void*";
                    case TypeKind.Record when !model.DefinedRecords.Contains(Clang.Spelling(canonical)):
                        return "nint"; // an opaque libvirt object: virConnectPtr, virDomainPtr, ...
                    default:
                        return Map(pointee, parameter: false) + "*";
                }
            }

            case TypeKind.Enum or TypeKind.Record:
                return NameOf(type);
            case TypeKind.FunctionProto or TypeKind.FunctionNoProto:
                return FunctionPointer(type);
            default:
                return Primitive(type) ?? throw new GeneratorException($"no C# mapping for C type '{Clang.Spelling(type)}' ({type.Kind})");
        }
    }

    private string FunctionPointer(CXType function)
    {
        var types = new List<string>();
        for (uint i = 0, n = (uint)Math.Max(0, Clang.GetNumArgTypes(function)); i < n; i++)
        {
            types.Add(Map(Clang.GetArgType(function, i), parameter: false));
        }

        types.Add(Map(Clang.GetResultType(function), parameter: false));
        return $"delegate* unmanaged<{string.Join(", ", types)}>";
    }

    private static string? Primitive(CXType type) => type.Kind switch
    {
        TypeKind.Void => "void",
        TypeKind.Bool => "byte",
        TypeKind.CharS or TypeKind.CharU or TypeKind.SChar or TypeKind.UChar => "byte",
        TypeKind.Short => "short",
        TypeKind.UShort => "ushort",
        TypeKind.Int => "int",
        TypeKind.UInt => "uint",
        TypeKind.Long => "nint",
        TypeKind.ULong => "nuint",
        TypeKind.LongLong => "long",
        TypeKind.ULongLong => "ulong",
        TypeKind.Float => "float",
        TypeKind.Double => "double",
        TypeKind.Elaborated or TypeKind.Typedef => Primitive(Clang.GetCanonicalType(type)),
        _ => null,
    };

    private string NameOf(CXType type)
    {
        var key = Clang.Spelling(Clang.GetCanonicalType(type));
        return model.TaggedNames.TryGetValue(key, out var name)
            ? name
            : throw new GeneratorException($"no name for {key}");
    }

    private static string Identifier(string name) => Keywords.Contains(name) ? "@" + name : name;

    private static void Summary(StringBuilder output, string? text, string indent)
    {
        if (text is null)
        {
            return;
        }

        output.Append($"{indent}/// <summary>{System.Security.SecurityElement.Escape(text)}</summary>\n");
    }
}
