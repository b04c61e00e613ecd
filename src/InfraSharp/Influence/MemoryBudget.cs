using InfraSharp.Models;

namespace InfraSharp.Influence;

/// <summary>
/// Turns a memory bound into a token budget per batch: per token, the captured inputs and output gradients of
/// every tracked layer, the decoder's own activations and logits, and what attention keeps per layer for the
/// backward pass. Influence batches are right-padded and have no KV cache, so <see cref="CausalLM"/> runs them
/// through the fused attention kernel, which keeps O(T) per layer: the output and a float32 logsumexp per head
/// and token, and the key/value heads repeated for grouped-query attention, never a [B, H, T, T] tensor.
/// Conservative by design (a factor of two of headroom); the benchmark reports the peak actually reached.
/// </summary>
public static class MemoryBudget
{
    /// <summary>
    /// Bytes per token of a batch whose longest sequence has <paramref name="longest"/> tokens. Only the explicit
    /// kernel (<paramref name="kernel"/>, for comparison) depends on it: that path keeps four float32 [B, H, T, T]
    /// copies a layer alive in the batch's dispose scope (scores, scaled, masked, probabilities), 16·H·T bytes a
    /// token.
    /// </summary>
    public static long BytesPerToken(ModelConfig c, TrackedModules modules, int longest,
        AttentionKernel kernel = AttentionKernel.Auto)
    {
        // Fused: output [H·D] and logsumexp [H] a token (float32 at most), plus K and V repeated to H heads.
        long fused = 4L * (c.NumHeads + 3L * c.NumHeads * c.HeadDim);
        long attention = c.NumLayers * (kernel == AttentionKernel.Explicit ? 4L * 4 * c.NumHeads * longest : fused);
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
