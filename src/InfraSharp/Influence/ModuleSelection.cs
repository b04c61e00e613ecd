using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace InfraSharp.Influence;

/// <summary>
/// Which Linear layers are tracked, as <c>--modules</c> takes them: <c>all</c> (every Linear of the decoder layers),
/// <c>mlp</c> (gate/up/down, the Infra paper's setting), <c>attn</c> (or <c>attention</c>: q/k/v/o), or a regex
/// matched against the full module name. The text is kept as given, so that a manifest reads back equal; a pattern
/// that does not compile is refused when parsed, before any run starts.
/// </summary>
[JsonConverter(typeof(ParsableJsonConverter<ModuleSelection>))]
public readonly record struct ModuleSelection : IParsable<ModuleSelection>
{
    private readonly string? _text;

    private ModuleSelection(string text) => _text = text;

    /// <summary>Every Linear of the decoder layers.</summary>
    public static ModuleSelection All { get; } = new("all");

    /// <summary>The MLP projections (gate, up, down): the Infra paper's setting.</summary>
    public static ModuleSelection Mlp { get; } = new("mlp");

    /// <summary>The attention projections (q, k, v, o).</summary>
    public static ModuleSelection Attention { get; } = new("attn");

    /// <summary>The selection as given (<c>default</c> is <c>all</c>).</summary>
    public string Text => _text ?? "all";

    private string Key => string.IsNullOrWhiteSpace(Text) ? "all" : Text.Trim();

    /// <summary>The names among <paramref name="names"/> this selects, in their order.</summary>
    public List<string> Select(IEnumerable<string> names) =>
        Key switch
        {
            "all" => [.. names],
            "mlp" => [.. names.Where(n => n.Contains(".mlp."))],
            "attn" or "attention" => [.. names.Where(n => n.Contains(".self_attn."))],
            _ => Matching(names, Pattern(Key)),
        };

    private static List<string> Matching(IEnumerable<string> names, Regex pattern) =>
        [.. names.Where(n => pattern.IsMatch(n))];

    private static Regex Pattern(string key) => OptionRegex.Parse("--modules", key);

    /// <summary>The selection of <paramref name="text"/>; a regex that does not compile is a bad argument.</summary>
    public static ModuleSelection Parse(string text, IFormatProvider? provider = null)
    {
        var s = new ModuleSelection(text);
        if (s.Key is not ("all" or "mlp" or "attn" or "attention"))
            _ = Pattern(s.Key);
        return s;
    }

    /// <summary>Parses like <see cref="Parse"/>, returning false instead of throwing on a bad regex.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, IFormatProvider? provider, out ModuleSelection result)
    {
        result = default;
        if (text is null)
            return false;
        try
        {
            result = Parse(text);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public bool Equals(ModuleSelection other) => Text == other.Text;

    /// <inheritdoc/>
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    /// <summary>The selection as given (<see cref="Text"/>).</summary>
    public override string ToString() => Text;
}
