namespace InfraSharp.Models;

/// <summary>
/// The architectures of released checkpoints, by name (<c>qwen2.5-0.5b</c>), as their config.json files give
/// them: for planning a run from the shape alone and for random checkpoints of the exact shape (benchmarks).
/// </summary>
internal static class KnownShapes
{
    private sealed record Shape(int Hidden, int Intermediate, int Layers, int Heads, int KvHeads, int Vocab, bool Tied);

    // Qwen2.5 base models: 128-dim heads, rope theta 1e6, 32k context, eos <|endoftext|> (151643).
    private static readonly Dictionary<string, Shape> Qwen25 = new(StringComparer.OrdinalIgnoreCase)
    {
        ["qwen2.5-0.5b"] = new(896, 4864, 24, 14, 2, 151936, true),
        ["qwen2.5-1.5b"] = new(1536, 8960, 28, 12, 2, 151936, true),
        ["qwen2.5-3b"] = new(2048, 11008, 36, 16, 2, 151936, true),
        ["qwen2.5-7b"] = new(3584, 18944, 28, 28, 4, 152064, false),
    };

    public static IReadOnlyCollection<string> Names => Qwen25.Keys;

    public static ModelConfig Get(string name, string option = "--shape")
    {
        if (!Qwen25.TryGetValue(name, out var s))
            throw InputError.Argument(
                $"{option} '{name}' is not a known shape (known: {string.Join(", ", Qwen25.Keys)})"
            );
        return new ModelConfig
        {
            ModelType = "qwen2",
            VocabSize = s.Vocab,
            HiddenSize = s.Hidden,
            IntermediateSize = s.Intermediate,
            NumLayers = s.Layers,
            NumHeads = s.Heads,
            NumKvHeads = s.KvHeads,
            HeadDim = s.Hidden / s.Heads,
            RmsNormEps = 1e-6,
            RopeTheta = 1_000_000,
            TieWordEmbeddings = s.Tied,
            AttentionBias = true,
            MaxPositionEmbeddings = 32768,
            EosTokenIds = [151643],
            BosTokenId = 151643,
        };
    }
}
