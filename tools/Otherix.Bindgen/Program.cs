using Otherix.Bindgen;

// otherix-bindgen [--out DIR] [--include-dir DIR] [--api-xml FILE]
var options = GeneratorOptions.Default(Path.Combine("Otherix.Native", "Generated"));
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    options = args[i] switch
    {
        "--out" => options with { OutputDir = Next() },
        "--include-dir" => options with { IncludeDir = Next() },
        "--api-xml" => options with { ApiXml = Next() },
        "-h" or "--help" => null!,
        _ => throw new ArgumentException($"unknown argument {args[i]} (try --help)"),
    };
    if (options is null)
    {
        Console.WriteLine("Usage: otherix-bindgen [--out DIR] [--include-dir /usr/include/libvirt] [--api-xml /usr/share/libvirt/api/libvirt-api.xml]");
        return 0;
    }
}

try
{
    var files = BindingGenerator.Generate(options);
    Console.WriteLine($"otherix-bindgen: wrote {files.Count} files to {options.OutputDir}");
    return 0;
}
catch (GeneratorException e)
{
    Console.Error.WriteLine($"otherix-bindgen: error: {e.Message}");
    return 1;
}
