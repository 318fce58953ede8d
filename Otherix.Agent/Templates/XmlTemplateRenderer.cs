using System.Security;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace Otherix.Agent.Templates;

/// <summary>A template failed to parse or render; the message names the template and the problem.</summary>
public sealed class TemplateRenderException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Renders the libvirt XML templates in <c>templates/</c> with Scriban. Every interpolated
/// value is XML-escaped by the renderer, so no value can change the document's structure,
/// whatever the template author wrote; undefined variables fail the render; loops and
/// recursion are bounded.
/// </summary>
public sealed class XmlTemplateRenderer
{
    private readonly string _directory;
    private readonly Dictionary<string, Template> _parsed = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Reads templates from <paramref name="directory"/> (e.g. <c>templates/</c> next to the agent).</summary>
    public XmlTemplateRenderer(string directory) => _directory = directory;

    /// <summary>Where the agent finds its templates: next to its binary, or in the source tree when run from it.</summary>
    public static string DefaultDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "templates");
            if (File.Exists(Path.Combine(candidate, "domain.xml.sbn")))
            {
                return candidate;
            }
        }

        throw new TemplateRenderException($"no templates/domain.xml.sbn found at or above {AppContext.BaseDirectory}");
    }

    /// <summary>Renders <paramref name="name"/> (e.g. <c>domain.xml.sbn</c>) with <paramref name="model"/>'s members as variables (snake_case).</summary>
    public string Render(string name, object model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var template = Parse(name);
        var globals = new ScriptObject();
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        var context = new EscapingContext
        {
            StrictVariables = true,
            LoopLimit = 1000,
            RecursiveLimit = 50,
            MemberRenamer = StandardMemberRenamer.Default,
            EnableRelaxedMemberAccess = false,
        };
        context.PushGlobal(globals);
        try
        {
            return template.Render(context);
        }
        catch (Scriban.Syntax.ScriptRuntimeException e)
        {
            throw new TemplateRenderException($"{name}: {e.Message}", e);
        }
    }

    private Template Parse(string name)
    {
        lock (_gate)
        {
            if (_parsed.TryGetValue(name, out var cached))
            {
                return cached;
            }

            var path = Path.Combine(_directory, name);
            if (!File.Exists(path))
            {
                throw new TemplateRenderException($"template {path} not found");
            }

            var template = Template.Parse(File.ReadAllText(path), path);
            if (template.HasErrors)
            {
                throw new TemplateRenderException($"{name}: {string.Join("; ", template.Messages)}");
            }

            _parsed[name] = template;
            return template;
        }
    }

    /// <summary>Escapes whatever an expression writes; literal template text is written as is.</summary>
    private sealed class EscapingContext : TemplateContext
    {
        public override TemplateContext Write(SourceSpan span, object? textAsObject)
        {
            if (textAsObject is not null)
            {
                Write(SecurityElement.Escape(ObjectToString(textAsObject)));
            }

            return this;
        }
    }
}
