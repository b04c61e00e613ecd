using InfraSharp.Models;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// Records, for each tracked Linear, its input a [B,T,in] (detached) and its output s [B,T,out] (kept in the
/// graph), so that one <c>autograd.grad(loss, outputs)</c> yields all output gradients g = dL/ds.
/// </summary>
internal sealed class LayerCapture(IReadOnlyCollection<string> modules) : ILinearObserver
{
    private readonly HashSet<string> _modules = new(modules);
    public Dictionary<string, Tensor> Inputs { get; } = new();
    public Dictionary<string, Tensor> Outputs { get; } = new();

    public bool Tracks(string module) => _modules.Contains(module);

    public bool NeedsOutputGradients => true;

    public Tensor Observe(string module, Tensor input, Tensor output)
    {
        Inputs[module] = input.detach();
        Outputs[module] = output;
        return output;
    }
}
