using System.Text.Json.Nodes;

namespace InfraSharp.Text;

/// <summary>
/// The one example type every stage consumes: token ids, labels (same length; -100 = no loss, as Hugging Face
/// does, the model shifts), the row's other fields as attributes, and where it came from.
/// </summary>
public sealed record EncodedExample(
    string Id,
    int[] InputIds,
    int[] Labels,
    JsonObject Attributes,
    string SourceFile,
    int Line,
    string? Text = null,
    (int Start, int End)[]? Offsets = null
)
{
    /// <summary>The label of a token that carries no loss (prompt, padding), as Hugging Face spells it.</summary>
    public const int IgnoreIndex = -100;

    /// <summary>Number of tokens.</summary>
    public int Length => InputIds.Length;
}
