using System.Security.Cryptography;
using System.Text;
using InfraSharp.Influence;
using InfraSharp.Models;
using static TorchSharp.torch;

namespace InfraSharp.Index;

/// <summary>
/// Seeded Gaussian projections of each tracked Linear's inputs (in → k_in) and output gradients (out → k_out).
/// Projecting the captured a and g before the per-token outer product gives an example's projected gradient
/// Σ_t (P_out g_t)(P_in a_t)ᵀ = P_out·G·P_inᵀ without ever forming the full [out, in] gradient, and the
/// projected a and g are what the index's K-FAC / EK-FAC factors are fitted on. Entries are N(0, 1/k), so inner
/// products are preserved in expectation. A module's matrices depend only on the seed and its name, so any machine
/// (and any partition) draws the same ones.
/// </summary>
internal sealed class GradientProjection : IDisposable
{
    public sealed record ModuleShape(string Module, int InWidth, int OutWidth, int? KIn, int? KOut)
    {
        public int In => KIn ?? InWidth;
        public int Out => KOut ?? OutWidth;
        public int Size => In * Out;
    }

    private readonly Dictionary<string, (Tensor? In, Tensor? Out)> _matrices = [];
    public long Seed { get; }
    public IReadOnlyList<ModuleShape> Shapes { get; }

    /// <summary>Length of an example's vector: Σ over modules of k_out·k_in, modules in tracking order.</summary>
    public int Dimension => Shapes.Sum(s => s.Size);

    private GradientProjection(long seed, IReadOnlyList<ModuleShape> shapes)
    {
        Seed = seed;
        Shapes = shapes;
    }

    /// <summary>
    /// The widths a module's gradient has in the capture: its input (plus one when it has a bias, as the
    /// capture appends a constant 1) and its output.
    /// </summary>
    public static (int In, int Out) Widths(CausalLM model, string module)
    {
        var w = model.Parameters[module + ".weight"];
        int bias = model.Parameters.ContainsKey(module + ".bias") ? 1 : 0;
        return ((int)w.shape[1] + bias, (int)w.shape[0]);
    }

    public static GradientProjection Create(
        CausalLM model,
        IReadOnlyList<string> modules,
        ProjectionSpec spec,
        long seed
    )
    {
        var shapes = modules
            .Select(m =>
            {
                var (i, o) = Widths(model, m);
                var (ki, ko) = spec.Resolve(m, i, o);
                return new ModuleShape(m, i, o, ki, ko);
            })
            .ToList();
        var p = new GradientProjection(seed, shapes);
        foreach (var s in shapes)
            p._matrices[s.Module] = (
                Draw(seed, s.Module, "in", s.KIn, s.InWidth, model.Device),
                Draw(seed, s.Module, "out", s.KOut, s.OutWidth, model.Device)
            );
        return p;
    }

    /// <summary>
    /// A [k, width] matrix with N(0, 1/k) entries, drawn on the CPU (the same numbers on every device).
    /// </summary>
    private static Tensor? Draw(long seed, string module, string side, int? k, int width, Device device)
    {
        if (k is not int rows)
            return null;
        var h = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\0{module}\0{side}"));
        long s = BitConverter.ToInt64(h, 0) & long.MaxValue;
        using var gen = new Generator((ulong)s);
        using var scope = NewDisposeScope();
        var cpu = randn([rows, width], dtype: ScalarType.Float32, generator: gen);
        return (cpu / Math.Sqrt(rows)).to(device).DetachFromDisposeScope();
    }

    public (Tensor? In, Tensor? Out) Matrices(string module) => _matrices[module];

    /// <summary>
    /// The captured a [B,T,in] and g [B,T,out] of every module, projected to [B,T,k_in] and [B,T,k_out].
    /// </summary>
    public BatchGradients Apply(BatchGradients bg)
    {
        var a = new Dictionary<string, Tensor>();
        var g = new Dictionary<string, Tensor>();
        foreach (var s in Shapes)
        {
            var (pin, pout) = _matrices[s.Module];
            var am = bg.A[s.Module];
            var gm = bg.G[s.Module];
            a[s.Module] = pin is null ? am : matmul(am, pin.to(am.dtype).transpose(0, 1));
            g[s.Module] = pout is null ? gm : matmul(gm, pout.to(gm.dtype).transpose(0, 1));
        }
        return new BatchGradients
        {
            A = a,
            G = g,
            Mask = bg.Mask,
            Lengths = bg.Lengths,
        };
    }

    /// <summary>
    /// Each example's projected gradient of every module, flattened ([k_out, k_in] row-major) and concatenated in
    /// module order: [B, Dimension], float32.
    /// </summary>
    public Tensor Vectors(BatchGradients projected)
    {
        using var scope = NewDisposeScope();
        var parts = Shapes
            .Select(s => projected.PerExample(s.Module).to(ScalarType.Float32).reshape(projected.Lengths.Length, -1))
            .ToList();
        return cat(parts, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Splits vectors [N, Dimension] back into per-module [N, k_out, k_in] views.</summary>
    public IEnumerable<(ModuleShape Shape, Tensor Gradient)> Split(Tensor vectors)
    {
        long offset = 0,
            n = vectors.shape[0];
        foreach (var s in Shapes)
        {
            yield return (s, vectors.narrow(1, offset, s.Size).reshape(n, s.Out, s.In));
            offset += s.Size;
        }
    }

    public void Dispose()
    {
        foreach (var (i, o) in _matrices.Values)
        {
            i?.Dispose();
            o?.Dispose();
        }
        _matrices.Clear();
    }
}
