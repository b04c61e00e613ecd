using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>Right-padded batches of encoded examples: ids, attention mask and labels (padding labelled -100).</summary>
internal static class Batching
{
    public sealed record Batch(Tensor InputIds, Tensor AttentionMask, Tensor Labels);

    public static Batch Pad(IReadOnlyList<EncodedExample> examples, int padId)
    {
        int b = examples.Count,
            t = examples.Max(e => e.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        var labels = new long[b * t];
        for (int i = 0; i < b; i++)
        {
            var e = examples[i];
            for (int j = 0; j < t; j++)
            {
                bool real = j < e.Length;
                ids[i * t + j] = real ? e.InputIds[j] : padId;
                mask[i * t + j] = real ? 1 : 0;
                labels[i * t + j] = real ? e.Labels[j] : EncodedExample.IgnoreIndex;
            }
        }
        return new Batch(tensor(ids, [b, t]), tensor(mask, [b, t]), tensor(labels, [b, t]));
    }
}
