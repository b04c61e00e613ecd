using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InfraSharp.Training;

/// <summary>
/// AdamW written out (decoupled weight decay, bias-corrected moments) so that its state is plain named
/// tensors: a checkpoint stores them as safetensors and a resumed run continues bit for bit. Norm weights
/// and biases get no weight decay, as is usual for transformers.
/// </summary>
internal sealed class AdamW : IDisposable
{
    private readonly IReadOnlyDictionary<string, Parameter> _params;
    public Dictionary<string, Tensor> M { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> V { get; } = new(StringComparer.Ordinal);
    public long Step { get; set; }
    private readonly SftOptions _o;

    public AdamW(IReadOnlyDictionary<string, Parameter> parameters, SftOptions options)
    {
        _params = parameters;
        _o = options;
        foreach (var (n, p) in parameters)
        {
            M[n] = zeros_like(p).DetachFromDisposeScope();
            V[n] = zeros_like(p).DetachFromDisposeScope();
        }
    }

    public void Update(double lr)
    {
        Step++;
        double bc1 = 1 - Math.Pow(_o.Beta1, Step),
            bc2 = 1 - Math.Pow(_o.Beta2, Step);
        using var _ = no_grad();
        foreach (var (n, p) in _params)
        {
            var g = p.grad;
            if (g is null)
                continue;
            using var scope = NewDisposeScope();
            M[n].mul_(_o.Beta1).add_(g, alpha: 1 - _o.Beta1);
            V[n].mul_(_o.Beta2).addcmul_(g, g, value: 1 - _o.Beta2);
            bool decay = p.dim() >= 2;
            if (decay && _o.WeightDecay > 0)
                p.mul_(1 - lr * _o.WeightDecay);
            var denom = (V[n] / bc2).sqrt_().add_(_o.Epsilon);
            p.addcdiv_(M[n], denom, value: -lr / bc1);
        }
    }

    public void Dispose()
    {
        foreach (var t in M.Values)
            t.Dispose();
        foreach (var t in V.Values)
            t.Dispose();
    }
}
