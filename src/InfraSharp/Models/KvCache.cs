using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>Keys and values of past positions, per layer ([B, kv_heads, T_past, head_dim]).</summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    /// <summary>An empty cache for a model of <paramref name="layers"/> decoder layers.</summary>
    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Positions cached so far (0 when empty).</summary>
    public long Length => _keys[0]?.shape[2] ?? 0;

    /// <summary>Appends this step's keys and values and returns the full ones for attention.</summary>
    public (Tensor K, Tensor V) Append(int layer, Tensor k, Tensor v)
    {
        var oldK = _keys[layer];
        var oldV = _values[layer];
        var newK = oldK is null ? k.detach() : cat([oldK, k.detach()], 2);
        var newV = oldV is null ? v.detach() : cat([oldV, v.detach()], 2);
        // The cache outlives the dispose scope of the step that made it.
        newK.DetachFromDisposeScope();
        newV.DetachFromDisposeScope();
        oldK?.Dispose();
        oldV?.Dispose();
        _keys[layer] = newK;
        _values[layer] = newV;
        return (newK, newV);
    }

    /// <summary>Frees the cached tensors.</summary>
    public void Dispose()
    {
        foreach (var t in _keys)
            t?.Dispose();
        foreach (var t in _values)
            t?.Dispose();
    }
}
