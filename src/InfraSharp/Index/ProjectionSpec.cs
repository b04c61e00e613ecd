using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace InfraSharp.Index;

/// <summary>
/// The projection dimensions per module, as <c>--projection-dim</c> takes them: <c>16</c> (k_in = k_out = 16 for
/// every module), <c>full</c> (no projection: the exact per-example gradients), <c>8:32</c> (k_in 8, k_out 32), or a
/// comma list of <c>selector=dims</c> where the selector is <c>mlp</c>, <c>attn</c> or a regex over module names
/// (later entries win). A dimension at or above a layer's width keeps that side whole: projecting to as many
/// dimensions as there are would only add noise.
/// </summary>
[JsonConverter(typeof(ParsableJsonConverter<ProjectionSpec>))]
public sealed record ProjectionSpec(string Text) : IParsable<ProjectionSpec>
{
    /// <summary>32 dimensions on both sides of every module.</summary>
    public static readonly ProjectionSpec Default = new("32");

    /// <summary>No projection: the exact per-example gradients.</summary>
    public static readonly ProjectionSpec Full = new("full");

    /// <summary>A spec known to be well formed (its text kept as given, as manifests write it).</summary>
    public static ProjectionSpec Parse(string text, IFormatProvider? provider = null)
    {
        var spec = new ProjectionSpec(text);
        spec.Validate();
        return spec;
    }

    /// <summary>Parses like <see cref="Parse"/>, returning false instead of throwing on a malformed spec.</summary>
    public static bool TryParse(
        [NotNullWhen(true)] string? text,
        IFormatProvider? provider,
        [MaybeNullWhen(false)] out ProjectionSpec result
    )
    {
        result = null;
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

    /// <summary>(k_in, k_out) for a module of the given widths; a side is null when it is kept whole.</summary>
    public (int? In, int? Out) Resolve(string module, int inWidth, int outWidth)
    {
        (int? In, int? Out) dims = (null, null);
        foreach (var (selector, value) in Entries())
            if (selector is null || Matches(selector, module))
                dims = value;
        return (dims.In is int i && i < inWidth ? i : null, dims.Out is int o && o < outWidth ? o : null);
    }

    /// <summary>Throws the one-line error for a malformed spec (called when a run's arguments are validated).</summary>
    public void Validate() => _ = Entries().ToList();

    private static bool Matches(string selector, string module) =>
        selector switch
        {
            "mlp" => module.Contains(".mlp."),
            "attn" or "attention" => module.Contains(".self_attn."),
            _ => OptionRegex.Parse("--projection-dim", selector).IsMatch(module),
        };

    private IEnumerable<(string? Selector, (int? In, int? Out) Dims)> Entries()
    {
        if (string.IsNullOrWhiteSpace(Text))
            throw Bad("empty");
        foreach (var raw in Text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = raw.IndexOf('=');
            string? selector = eq < 0 ? null : raw[..eq].Trim();
            string value = eq < 0 ? raw : raw[(eq + 1)..].Trim();
            if (selector is "")
                throw Bad($"'{raw}' has no selector before '='");
            // Parsed here, so that Validate refuses a bad pattern before any run starts.
            if (selector is not (null or "mlp" or "attn" or "attention"))
                OptionRegex.Parse("--projection-dim", selector);
            yield return (selector, ParseDims(value, raw));
        }
    }

    private (int? In, int? Out) ParseDims(string value, string entry)
    {
        if (value.Equals("full", StringComparison.OrdinalIgnoreCase))
            return (null, null);
        var parts = value.Split(':');
        if (parts.Length is < 1 or > 2)
            throw Bad($"'{entry}' is not K, IN:OUT or full");
        int Dim(string s) =>
            int.TryParse(s, out int k) && k >= 1 ? k : throw Bad($"'{entry}': '{s}' is not a dimension >= 1");
        int a = Dim(parts[0]);
        return parts.Length == 1 ? (a, a) : (a, Dim(parts[1]));
    }

    private Exception Bad(string why) => InputError.Argument($"--projection-dim {Text}: {why}");

    /// <summary>The spec as given (<see cref="Text"/>).</summary>
    public override string ToString() => Text;
}
