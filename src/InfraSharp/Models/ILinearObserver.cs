using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>
/// Sees the input and output of tracked Linear layers during a forward pass. The influence stage uses it to
/// keep layer inputs (a) and outputs (s), so that one <c>autograd.grad(loss, outputs)</c> yields every output
/// gradient without hooks and without per-example parameter gradients.
/// </summary>
public interface ILinearObserver
{
    /// <summary>Whether <paramref name="module"/> (a Hugging Face name such as <c>model.layers.0.mlp.up_proj</c>) is
    /// tracked.</summary>
    bool Tracks(string module);

    /// <summary>
    /// When true, the decoder makes its embedding output a leaf that requires grad, so that gradients with
    /// respect to every tracked output exist even when no parameter requires grad.
    /// </summary>
    bool NeedsOutputGradients { get; }

    /// <summary>Called with the layer's input [B,T,in] and output [B,T,out]; the returned tensor replaces the
    /// output.</summary>
    Tensor Observe(string module, Tensor input, Tensor output);
}
