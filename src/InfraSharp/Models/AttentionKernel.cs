namespace InfraSharp.Models;

/// <summary>How <see cref="CausalLM"/> computes attention.</summary>
public enum AttentionKernel
{
    /// <summary>
    /// torch's fused scaled-dot-product attention (causal, O(T) memory) when there is no KV cache and the mask is
    /// right padding or none, as in training and influence; the explicit path otherwise (left-padded or cached
    /// generation), where an explicit mask is required.
    /// </summary>
    Auto,

    /// <summary>
    /// Always the explicit path: [B, H, T, T] scores, an additive mask and a float32 softmax, as transformers' eager
    /// attention. For comparisons and benchmarks.
    /// </summary>
    Explicit,
}
