using System.Runtime.InteropServices;
using System.Text;

namespace Otherix.Bindgen;

/// <summary>The libvirt headers parsed once with libclang: names of tagged types, and top-level declarations per header.</summary>
internal sealed unsafe class HeaderModel : IDisposable
{
    private readonly nint _index;
    private readonly nint _unit;
    private readonly HashSet<string> _namedByTypedef = new(StringComparer.Ordinal);

    private HeaderModel(nint index, nint unit, string includeDir)
    {
        _index = index;
        _unit = unit;
        IncludeDir = includeDir;
        var root = Clang.GetTranslationUnitCursor(unit);
        foreach (var cursor in Clang.Children(root))
        {
            var file = Clang.FileOf(cursor);
            if (!file.StartsWith(includeDir + "/", StringComparison.Ordinal))
            {
                continue;
            }

            var header = Path.GetFileName(file);
            if (!Declarations.TryGetValue(header, out var list))
            {
                Declarations[header] = list = [];
            }

            list.Add(cursor);
            Name(cursor);
        }
    }

    public string IncludeDir { get; }

    /// <summary>Top-level declarations of each libvirt header (by file name), in source order.</summary>
    public Dictionary<string, List<CXCursor>> Declarations { get; } = new(StringComparer.Ordinal);

    /// <summary>C# names of tagged types (enums, defined structs), keyed by canonical type spelling.</summary>
    public Dictionary<string, string> TaggedNames { get; } = new(StringComparer.Ordinal);

    /// <summary>Canonical spellings of structs that have a definition (others are opaque handles).</summary>
    public HashSet<string> DefinedRecords { get; } = new(StringComparer.Ordinal);

    public static HeaderModel Parse(string includeDir, IReadOnlyList<string> extraIncludeDirs)
    {
        var umbrella = Path.Combine(includeDir, "libvirt.h");
        if (!File.Exists(umbrella))
        {
            throw new GeneratorException($"{umbrella} not found: install libvirt-dev (tools/host/setup.sh)");
        }

        // libvirt.h does not include virterror.h; an in-memory umbrella includes both.
        var parent = Path.GetDirectoryName(includeDir)!;
        var dir = Path.GetFileName(includeDir);
        var source = $"#include <{dir}/libvirt.h>\n#include <{dir}/virterror.h>\n";
        string[] args = ["-x", "c", "-std=gnu11", $"-I{parent}", .. extraIncludeDirs.Select(d => $"-I{d}")];
        var index = Clang.CreateIndex(0, 0);
        var unmanagedArgs = args.Select(a => Marshal.StringToCoTaskMemUTF8(a)).ToArray();
        var fileName = Marshal.StringToCoTaskMemUTF8("otherix-bindgen-umbrella.h");
        var contents = Marshal.StringToCoTaskMemUTF8(source);
        nint unit;
        try
        {
            var unsaved = new CXUnsavedFile { Filename = fileName, Contents = contents, Length = (nuint)Encoding.UTF8.GetByteCount(source) };
            fixed (nint* argv = unmanagedArgs)
            {
                unit = Clang.ParseTranslationUnit(index, (byte*)fileName, (byte**)argv, args.Length, &unsaved, 1, Clang.SkipFunctionBodies);
            }
        }
        finally
        {
            Marshal.FreeCoTaskMem(fileName);
            Marshal.FreeCoTaskMem(contents);
            foreach (var arg in unmanagedArgs)
            {
                Marshal.FreeCoTaskMem(arg);
            }
        }

        if (unit == 0)
        {
            Clang.DisposeIndex(index);
            throw new GeneratorException($"libclang could not parse {umbrella}");
        }

        var errors = new StringBuilder();
        for (uint i = 0, n = Clang.GetNumDiagnostics(unit); i < n; i++)
        {
            var diagnostic = Clang.GetDiagnostic(unit, i);
            const int Error = 3;
            if (Clang.GetDiagnosticSeverity(diagnostic) >= Error)
            {
                errors.AppendLine(Clang.Take(Clang.FormatDiagnostic(diagnostic, 0)));
            }

            Clang.DisposeDiagnostic(diagnostic);
        }

        if (errors.Length > 0)
        {
            Clang.DisposeTranslationUnit(unit);
            Clang.DisposeIndex(index);
            throw new GeneratorException($"libclang reported errors parsing {umbrella}:\n{errors}");
        }

        return new HeaderModel(index, unit, includeDir);
    }

    public void Dispose()
    {
        Clang.DisposeTranslationUnit(_unit);
        Clang.DisposeIndex(_index);
    }

    /// <summary>Records the C# name of an enum or struct declared (or typedef'd) at <paramref name="cursor"/>.</summary>
    private void Name(CXCursor cursor)
    {
        switch (cursor.Kind)
        {
            case CursorKind.TypedefDecl:
            {
                var underlying = Clang.GetCanonicalType(Clang.GetTypedefDeclUnderlyingType(cursor));
                // A typedef names the type better than its tag (virNodeInfo, not _virNodeInfo);
                // the first one wins over later aliases (virTypedParameter, not virMemoryParameter).
                if (underlying.Kind is TypeKind.Enum or TypeKind.Record && _namedByTypedef.Add(Clang.Spelling(underlying)))
                {
                    TaggedNames[Clang.Spelling(underlying)] = Clang.Spelling(cursor);
                }

                break;
            }

            case CursorKind.EnumDecl or CursorKind.StructDecl or CursorKind.UnionDecl:
            {
                var key = Clang.Spelling(Clang.GetCanonicalType(Clang.GetCursorType(cursor)));
                if (cursor.Kind != CursorKind.EnumDecl && Clang.IsCursorDefinition(cursor) != 0)
                {
                    DefinedRecords.Add(key);
                }

                if (Clang.CursorIsAnonymous(cursor) == 0 && !TaggedNames.ContainsKey(key))
                {
                    TaggedNames[key] = Clang.Spelling(cursor).TrimStart('_');
                }

                break;
            }
        }
    }
}

/// <summary>A failure the generator reports as one line and exit code 1.</summary>
internal sealed class GeneratorException(string message) : Exception(message);
