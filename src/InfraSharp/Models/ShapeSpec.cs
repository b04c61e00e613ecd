using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace InfraSharp.Models;

/// <summary>
/// A model shape to initialise from scratch, as <c>--init</c> takes it (<see cref="ModelShape"/>:
/// <c>layers=4,hidden=128,heads=4,kv_heads=2,mlp=384</c>). Checked when parsed, so that a misspelt key is refused
/// before any data is read; the vocabulary comes from the tokenizer when the model is built. The text is kept as
/// given, as manifests and <c>training_args.json</c> write it.
/// </summary>
[JsonConverter(typeof(ParsableJsonConverter<ShapeSpec>))]
public readonly record struct ShapeSpec : IParsable<ShapeSpec>
{
    private readonly string? _text;

    private ShapeSpec(string text) => _text = text;

    /// <summary>The shape as given (e.g. <c>layers=4,hidden=128,heads=4,kv_heads=2,mlp=384</c>).</summary>
    public string Text => _text ?? "";

    /// <summary>The model's configuration for a tokenizer's vocabulary and special tokens.</summary>
    public ModelConfig ToConfig(int vocabSize, int[] eosIds, int? padId) =>
        ModelShape.Parse(Text, vocabSize, eosIds, padId);

    /// <summary>The shape of <paramref name="text"/>; an unknown key or bad value is a bad argument.</summary>
    public static ShapeSpec Parse(string text, IFormatProvider? provider = null)
    {
        // The vocabulary plays no part in what a shape may say.
        _ = ModelShape.Parse(text, 1, [], null);
        return new ShapeSpec(text);
    }

    /// <summary>Parses like <see cref="Parse"/>, returning false instead of throwing on a bad shape.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, IFormatProvider? provider, out ShapeSpec result)
    {
        result = default;
        if (text is null)
            return false;
        try
        {
            result = Parse(text);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public bool Equals(ShapeSpec other) => Text == other.Text;

    /// <inheritdoc/>
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    /// <summary>The shape as given (<see cref="Text"/>).</summary>
    public override string ToString() => Text;
}
