using InfraSharp.Models;

namespace InfraSharp.Influence;

/// <summary>
/// Turns a memory bound into a token budget per batch: per token, the captured inputs and output gradients of
/// every tracked layer, the decoder's own activations and logits, and attention's [B, H, T, T] tensors, which the
/// explicit attention keeps per layer for the backward pass (scores, scaled and masked scores, probabilities:
/// four float32 copies, so per token 16·H·T bytes a layer, growing with the longest sequence T).
/// Conservative by design (a factor of two of headroom); the benchmark reports the peak actually reached.
/// </summary>
public static class MemoryBudget
{
    public static long BytesPerToken(ModelConfig c, TrackedModules modules, int longest)
    {
        long attention = (long)c.NumLayers * 4 * 4 * c.NumHeads * longest;
        long capture = 0;
        foreach (var m in modules.Names)
        {
            string s = TrackedModules.ShortName(m);
            var (o, i) = LinearShape(c, s);
            capture += 2L * 4 * (o + i + 1);
        }
        long activations = (long)c.NumLayers * 4 * (12L * c.HiddenSize + 3L * c.IntermediateSize + 2L * c.NumHeads * 64);
        long logits = 3L * 4 * c.VocabSize;
        return capture + activations + logits + attention;
    }

    /// <summary>Bytes of the preconditioned query gradients kept for scoring (full rank or rank R).</summary>
    public static long QueryBytes(ModelConfig c, TrackedModules modules, int queries, int rank) =>
        modules.Names.Sum(m =>
        {
            var (o, i) = LinearShape(c, TrackedModules.ShortName(m));
            return 4L * queries * (rank > 0 ? rank * (o + i + 1) : o * (i + 1));
        });

    public static int TokensPerBatch(ModelConfig c, TrackedModules modules, long maxBytes, int longest, long reservedBytes = 0)
    {
        long perToken = BytesPerToken(c, modules, longest);
        long free = maxBytes / 2 - reservedBytes;
        if (free < perToken * 64)
            throw InputError.Argument($"--max-memory {maxBytes >> 20} MiB leaves room for fewer than 64 tokens per batch ({perToken} bytes per token, {reservedBytes >> 20} MiB reserved); raise it or use --query-rank");
        return (int)Math.Min(int.MaxValue, free / perToken);
    }

    private static (long Out, long In) LinearShape(ModelConfig c, string shortName)
    {
        int q = c.NumHeads * c.HeadDim, kv = c.NumKvHeads * c.HeadDim;
        return shortName switch
        {
            "self_attn.q_proj" => (q, c.HiddenSize),
            "self_attn.k_proj" or "self_attn.v_proj" => (kv, c.HiddenSize),
            "self_attn.o_proj" => (c.HiddenSize, q),
            "mlp.down_proj" => (c.HiddenSize, c.IntermediateSize),
            _ => (c.IntermediateSize, c.HiddenSize),
        };
    }
}
