namespace InfraSharp.Text;

/// <summary>How rows become examples.</summary>
public sealed record EncodeOptions
{
    /// <summary>Loss on every token instead of assistant content and its end token only.</summary>
    public bool LabelAllTokens { get; init; }

    /// <summary>For <c>text</c> rows: add the post-processor's special tokens (Llama 3's begin-of-text).</summary>
    public bool AddSpecialTokens { get; init; }

    /// <summary>Longest sequence allowed (the model's context length); longer rows are an error, never cut.</summary>
    public int? MaxLength { get; init; }

    /// <summary>The model's vocabulary size: token ids and labels outside it (labels other than -100) are an
    /// error.</summary>
    public int? VocabSize { get; init; }

    /// <summary>
    /// Accept rows that share an id. Off by default: scores, index hits and reports name rows by id. Training turns it
    /// on, because a curated mix repeats rows (with their ids) to upweight them.
    /// </summary>
    public bool AllowRepeatedIds { get; init; }

    /// <summary>Skip bad rows (reported) instead of stopping at the first.</summary>
    public bool SkipBadRows { get; init; }
}
