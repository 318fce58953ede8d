using System.Runtime.InteropServices;

namespace Otherix.Bindgen;

// The slice of libclang's C API the generator needs (ClangSharp is not available from the
// registry). Struct layouts follow clang-c/Index.h for 64-bit platforms.

[StructLayout(LayoutKind.Sequential)]
internal readonly struct CXString
{
    private readonly nint _data;
    private readonly uint _flags;
}

[StructLayout(LayoutKind.Sequential)]
internal readonly struct CXCursor
{
    public readonly CursorKind Kind;
    private readonly int _xdata;
    private readonly nint _d0;
    private readonly nint _d1;
    private readonly nint _d2;
}

[StructLayout(LayoutKind.Sequential)]
internal readonly struct CXType
{
    public readonly TypeKind Kind;
    private readonly nint _d0;
    private readonly nint _d1;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CXUnsavedFile
{
    public nint Filename;
    public nint Contents;
    public nuint Length;
}

[StructLayout(LayoutKind.Sequential)]
internal readonly struct CXSourceLocation
{
    private readonly nint _p0;
    private readonly nint _p1;
    private readonly uint _intData;
}

internal enum CursorKind
{
    StructDecl = 2,
    UnionDecl = 3,
    EnumDecl = 5,
    FieldDecl = 6,
    EnumConstantDecl = 7,
    FunctionDecl = 8,
    ParmDecl = 10,
    TypedefDecl = 20,
}

internal enum TypeKind
{
    Invalid = 0,
    Void = 2,
    Bool = 3,
    CharU = 4,
    UChar = 5,
    UShort = 8,
    UInt = 9,
    ULong = 10,
    ULongLong = 11,
    CharS = 13,
    SChar = 14,
    Short = 16,
    Int = 17,
    Long = 18,
    LongLong = 19,
    Float = 21,
    Double = 22,
    Pointer = 101,
    Record = 105,
    Enum = 106,
    Typedef = 107,
    FunctionNoProto = 110,
    FunctionProto = 111,
    ConstantArray = 112,
    IncompleteArray = 114,
    Elaborated = 119,
}

internal enum ChildVisitResult
{
    Break = 0,
    Continue = 1,
    Recurse = 2,
}

internal static unsafe partial class Clang
{
    private const string Lib = "libclang";

    public const uint DetailedPreprocessingRecord = 0x01;
    public const uint SkipFunctionBodies = 0x40;

    [LibraryImport(Lib, EntryPoint = "clang_createIndex")]
    public static partial nint CreateIndex(int excludeDeclarationsFromPch, int displayDiagnostics);

    [LibraryImport(Lib, EntryPoint = "clang_disposeIndex")]
    public static partial void DisposeIndex(nint index);

    [LibraryImport(Lib, EntryPoint = "clang_parseTranslationUnit")]
    public static partial nint ParseTranslationUnit(nint index, byte* sourceFilename, byte** commandLineArgs, int numCommandLineArgs, CXUnsavedFile* unsavedFiles, uint numUnsavedFiles, uint options);

    [LibraryImport(Lib, EntryPoint = "clang_disposeTranslationUnit")]
    public static partial void DisposeTranslationUnit(nint unit);

    [LibraryImport(Lib, EntryPoint = "clang_getNumDiagnostics")]
    public static partial uint GetNumDiagnostics(nint unit);

    [LibraryImport(Lib, EntryPoint = "clang_getDiagnostic")]
    public static partial nint GetDiagnostic(nint unit, uint index);

    [LibraryImport(Lib, EntryPoint = "clang_getDiagnosticSeverity")]
    public static partial int GetDiagnosticSeverity(nint diagnostic);

    [LibraryImport(Lib, EntryPoint = "clang_formatDiagnostic")]
    public static partial CXString FormatDiagnostic(nint diagnostic, uint options);

    [LibraryImport(Lib, EntryPoint = "clang_disposeDiagnostic")]
    public static partial void DisposeDiagnostic(nint diagnostic);

    [LibraryImport(Lib, EntryPoint = "clang_getTranslationUnitCursor")]
    public static partial CXCursor GetTranslationUnitCursor(nint unit);

    [LibraryImport(Lib, EntryPoint = "clang_visitChildren")]
    public static partial uint VisitChildren(CXCursor parent, delegate* unmanaged<CXCursor, CXCursor, nint, ChildVisitResult> visitor, nint clientData);

    [LibraryImport(Lib, EntryPoint = "clang_getCursorSpelling")]
    public static partial CXString GetCursorSpelling(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_getCursorType")]
    public static partial CXType GetCursorType(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_getCursorResultType")]
    public static partial CXType GetCursorResultType(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_Cursor_getNumArguments")]
    public static partial int CursorGetNumArguments(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_Cursor_getArgument")]
    public static partial CXCursor CursorGetArgument(CXCursor cursor, uint index);

    [LibraryImport(Lib, EntryPoint = "clang_Cursor_isAnonymous")]
    public static partial uint CursorIsAnonymous(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_Cursor_getOffsetOfField")]
    public static partial long CursorGetOffsetOfField(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_isCursorDefinition")]
    public static partial uint IsCursorDefinition(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_getEnumConstantDeclValue")]
    public static partial long GetEnumConstantDeclValue(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_getEnumConstantDeclUnsignedValue")]
    public static partial ulong GetEnumConstantDeclUnsignedValue(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_getEnumDeclIntegerType")]
    public static partial CXType GetEnumDeclIntegerType(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_getTypedefDeclUnderlyingType")]
    public static partial CXType GetTypedefDeclUnderlyingType(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_getCursorLocation")]
    public static partial CXSourceLocation GetCursorLocation(CXCursor cursor);

    [LibraryImport(Lib, EntryPoint = "clang_getExpansionLocation")]
    public static partial void GetExpansionLocation(CXSourceLocation location, nint* file, uint* line, uint* column, uint* offset);

    [LibraryImport(Lib, EntryPoint = "clang_getFileName")]
    public static partial CXString GetFileName(nint file);

    [LibraryImport(Lib, EntryPoint = "clang_getTypeSpelling")]
    public static partial CXString GetTypeSpelling(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_getTypedefName")]
    public static partial CXString GetTypedefName(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_getCanonicalType")]
    public static partial CXType GetCanonicalType(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_getPointeeType")]
    public static partial CXType GetPointeeType(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_Type_getNamedType")]
    public static partial CXType TypeGetNamedType(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_getTypeDeclaration")]
    public static partial CXCursor GetTypeDeclaration(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_getResultType")]
    public static partial CXType GetResultType(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_getNumArgTypes")]
    public static partial int GetNumArgTypes(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_getArgType")]
    public static partial CXType GetArgType(CXType type, uint index);

    [LibraryImport(Lib, EntryPoint = "clang_isFunctionTypeVariadic")]
    public static partial uint IsFunctionTypeVariadic(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_isConstQualifiedType")]
    public static partial uint IsConstQualifiedType(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_Type_getSizeOf")]
    public static partial long TypeGetSizeOf(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_getArraySize")]
    public static partial long GetArraySize(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_getArrayElementType")]
    public static partial CXType GetArrayElementType(CXType type);

    [LibraryImport(Lib, EntryPoint = "clang_getCString")]
    private static partial byte* GetCString(CXString text);

    [LibraryImport(Lib, EntryPoint = "clang_disposeString")]
    private static partial void DisposeString(CXString text);

    /// <summary>Copies a libclang string and frees it.</summary>
    public static string Take(CXString text)
    {
        try
        {
            return Marshal.PtrToStringUTF8((nint)GetCString(text)) ?? "";
        }
        finally
        {
            DisposeString(text);
        }
    }

    public static string Spelling(CXCursor cursor) => Take(GetCursorSpelling(cursor));

    public static string Spelling(CXType type) => Take(GetTypeSpelling(type));

    /// <summary>The file a cursor's expansion location lies in, or "" for built-ins.</summary>
    public static string FileOf(CXCursor cursor)
    {
        nint file;
        uint line, column, offset;
        GetExpansionLocation(GetCursorLocation(cursor), &file, &line, &column, &offset);
        return file == 0 ? "" : Take(GetFileName(file));
    }

    /// <summary>The direct children of <paramref name="parent"/>, in source order.</summary>
    public static List<CXCursor> Children(CXCursor parent)
    {
        var children = new List<CXCursor>();
        var handle = GCHandle.Alloc(children);
        try
        {
            _ = VisitChildren(parent, &Collect, GCHandle.ToIntPtr(handle)); // non-zero only when a visitor breaks; ours never does
        }
        finally
        {
            handle.Free();
        }

        return children;
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static ChildVisitResult Collect(CXCursor cursor, CXCursor parent, nint data)
    {
        ((List<CXCursor>)GCHandle.FromIntPtr(data).Target!).Add(cursor);
        return ChildVisitResult.Continue;
    }
}
