using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using InfraSharp.Text;

namespace InfraSharp.Curation;

/// <summary>
/// How long a row is for a mix's budget: its tokens under a model's tokenizer and chat template (what training
/// spends), or, without a tokenizer, the characters of its messages' contents.
/// </summary>
internal sealed class RowLength
{
    private readonly Func<JsonObject, int> _measure;
    private readonly ConditionalWeakTable<JsonObject, StrongBox<int>> _known = new();

    private RowLength(Func<JsonObject, int> measure, string unit)
    {
        _measure = measure;
        Unit = unit;
    }

    /// <summary><c>tokens</c> or <c>characters</c>, as summaries print it.</summary>
    public string Unit { get; }

    /// <summary>The length of <paramref name="row"/> (measured once per row object).</summary>
    public int Of(JsonObject row) => _known.GetValue(row, r => new StrongBox<int>(_measure(r))).Value;

    /// <summary>
    /// Tokens under the tokenizer of <paramref name="tokenizerFolder"/> (a model or tokenizer folder), or characters
    /// when it is null.
    /// </summary>
    public static RowLength For(string? tokenizerFolder)
    {
        if (tokenizerFolder is null)
            return new RowLength(Characters, "characters");
        var encoder = new ExampleEncoder(Tokenizer.Load(tokenizerFolder));
        return new RowLength(r => encoder.Encode(new DataRow(r, tokenizerFolder, 0)).Length, "tokens");
    }

    private static int Characters(JsonObject row) =>
        row["messages"] is JsonArray messages
            ? messages.Sum(m => m?["content"]?.ToString().Length ?? 0)
            : row.ToJsonString().Length;
}
