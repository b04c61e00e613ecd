using TorchSharp;
using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>Next-token cross-entropy: logits at position i predict the label at i+1; -100 is ignored.</summary>
internal static class LanguageModelLoss
{
    /// <summary>Per-example summed loss [B] for logits [B,T,V] and labels [B,T] (optionally per-token
    /// [B,T-1]).</summary>
    public static Tensor PerTokenLoss(Tensor logits, Tensor labels)
    {
        long b = logits.shape[0],
            t = logits.shape[1],
            v = logits.shape[2];
        var shiftLogits = logits.narrow(1, 0, t - 1).reshape(-1, v);
        // Batches are built on the host: the labels join the logits on the model's device.
        var shiftLabels = labels.to(logits.device).narrow(1, 1, t - 1).reshape(-1);
        var lossTok = nn.functional.cross_entropy(
            shiftLogits.to(ScalarType.Float32),
            shiftLabels,
            ignore_index: -100,
            reduction: nn.Reduction.None
        );
        return lossTok.reshape(b, t - 1);
    }

    public static Tensor SummedPerExample(Tensor logits, Tensor labels) => PerTokenLoss(logits, labels).sum(dim: 1);
}
