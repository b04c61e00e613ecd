using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>Which per-module statistic a strategy's eigenvalue matrix is fitted from.</summary>
public enum LambdaKind
{
    /// <summary>None: the strategy has no eigenvalue matrix (identity) or derives it (K-FAC).</summary>
    None,

    /// <summary>Mean over examples of G_e² elementwise (diagonal Fisher).</summary>
    Diagonal,

    /// <summary>Mean over examples of (Q_Gᵀ G_e Q_A)² (EK-FAC's corrected eigenvalues).</summary>
    EigenCorrected,
}

/// <summary>
/// A way to approximate the inverse Hessian (here the Fisher) of the tracked layers. A strategy is data: it
/// declares the factors it needs and how it preconditions a gradient; the factor and score loops never ask
/// which one is running.
/// </summary>
public abstract class InfluenceStrategy
{
    /// <summary>Which strategy of the registry this is.</summary>
    public abstract StrategyKind Kind { get; }

    /// <summary>The strategy's name, as manifests and the CLI spell it.</summary>
    public string Name => EnumNames.Of(Kind);

    /// <summary>
    /// Whether it needs the activation and gradient covariances and their eigenbases (K-FAC, EK-FAC).
    /// </summary>
    public abstract bool NeedsCovariance { get; }

    /// <summary>Which eigenvalue matrix it fits from per-example gradients, if any.</summary>
    public abstract LambdaKind Lambda { get; }

    /// <summary>Whether it needs a factor folder at all (the identity needs none).</summary>
    public bool NeedsAnyFactor => NeedsCovariance || Lambda != LambdaKind.None;

    /// <summary>The eigenvalue matrix [out, in] the preconditioner divides by, or null (identity).</summary>
    internal abstract Tensor? EigenvalueMatrix(ModuleFactors f);

    /// <summary>Rotates G [N, out, in] into the basis where the eigenvalue matrix is diagonal, and back.</summary>
    private protected virtual Tensor ToBasis(Tensor g, ModuleFactors f) => g;

    private protected virtual Tensor FromBasis(Tensor g, ModuleFactors f) => g;

    /// <summary>
    /// P(G) for gradients G [N, out, in]: rotate, divide by (Λ + damping) in float64, rotate back. Damping
    /// null means the heuristic 0.1 x mean(Λ) of this module.
    /// </summary>
    internal Tensor Precondition(Tensor g, ModuleFactors f, double? damping, Precision rotations = Precision.Float32)
    {
        var precision = rotations.ToScalarType();
        var lambda = EigenvalueMatrix(f);
        if (lambda is null)
            return g.to(ScalarType.Float32); // preconditioned gradients are float32 for every strategy
        using var scope = NewDisposeScope();
        var l64 = lambda.to(ScalarType.Float64);
        // The heuristic stays a device tensor: no host round trip per batch.
        var damped = damping is double d ? l64 + d : l64 + 0.1 * l64.mean();
        // Rotations in float32 by default (as kronfluence's precondition dtype); float64 on request, for
        // exactness checks. The division by the damped eigenvalues is always done in float64.
        var rotated = ToBasis(g.to(precision), f).to(ScalarType.Float64) / damped;
        return FromBasis(rotated.to(precision), f).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>The one instance of each strategy.</summary>
    public static readonly IReadOnlyDictionary<StrategyKind, InfluenceStrategy> Registry = new Dictionary<
        StrategyKind,
        InfluenceStrategy
    >
    {
        [StrategyKind.Identity] = new IdentityStrategy(),
        [StrategyKind.Diagonal] = new DiagonalStrategy(),
        [StrategyKind.Kfac] = new KfacStrategy(),
        [StrategyKind.Ekfac] = new EkfacStrategy(),
    };

    /// <summary>The strategy of <paramref name="kind"/>.</summary>
    public static InfluenceStrategy Get(StrategyKind kind) =>
        Registry.TryGetValue(kind, out var s)
            ? s
            : throw InputError.Argument(
                $"strategy {EnumNames.Of(kind)} is a baseline score source: it has no factors and no preconditioner "
                    + $"(use it with infra scores pairwise --strategy {EnumNames.Of(kind)})"
            );

    /// <summary>The strategy of a name (any case), refusing an unknown one with the names it knows.</summary>
    public static InfluenceStrategy Get(string name) => Get(Parse(name));

    /// <summary>
    /// The strategy kind named <paramref name="name"/> (any case); an unknown name is a bad argument listing the known
    /// ones.
    /// </summary>
    public static StrategyKind Parse(string name) =>
        EnumNames.TryParse(name.ToLowerInvariant(), out StrategyKind kind)
            ? kind
            : throw InputError.Argument(
                $"unknown strategy '{name}' (known: {string.Join(", ", EnumNames.All<StrategyKind>().Keys)})"
            );
}

/// <summary>Plain gradient dot product: no preconditioner.</summary>
internal sealed class IdentityStrategy : InfluenceStrategy
{
    public override StrategyKind Kind => StrategyKind.Identity;
    public override bool NeedsCovariance => false;
    public override LambdaKind Lambda => LambdaKind.None;

    internal override Tensor? EigenvalueMatrix(ModuleFactors f) => null;
}

/// <summary>Diagonal Fisher: each weight divided by its own mean squared per-example gradient.</summary>
internal sealed class DiagonalStrategy : InfluenceStrategy
{
    public override StrategyKind Kind => StrategyKind.Diagonal;
    public override bool NeedsCovariance => false;
    public override LambdaKind Lambda => LambdaKind.Diagonal;

    internal override Tensor? EigenvalueMatrix(ModuleFactors f) => f.Lambda;
}

/// <summary>K-FAC: Fisher ≈ A ⊗ S; in the Kronecker eigenbasis its eigenvalues are λ_S λ_Aᵀ.</summary>
internal class KfacStrategy : InfluenceStrategy
{
    public override StrategyKind Kind => StrategyKind.Kfac;
    public override bool NeedsCovariance => true;
    public override LambdaKind Lambda => LambdaKind.None;

    internal override Tensor? EigenvalueMatrix(ModuleFactors f) =>
        outer(f.GradientEigenvalues!.to(ScalarType.Float64), f.ActivationEigenvalues!.to(ScalarType.Float64));

    private protected override Tensor ToBasis(Tensor g, ModuleFactors f) =>
        matmul(matmul(f.GradientEigenvectors!.to(g.dtype).transpose(0, 1), g), f.ActivationEigenvectors!.to(g.dtype));

    private protected override Tensor FromBasis(Tensor g, ModuleFactors f) =>
        matmul(matmul(f.GradientEigenvectors!.to(g.dtype), g), f.ActivationEigenvectors!.to(g.dtype).transpose(0, 1));
}

/// <summary>EK-FAC: the K-FAC eigenbasis with eigenvalues refitted to the per-example gradients.</summary>
internal sealed class EkfacStrategy : KfacStrategy
{
    public override StrategyKind Kind => StrategyKind.Ekfac;
    public override LambdaKind Lambda => LambdaKind.EigenCorrected;

    internal override Tensor? EigenvalueMatrix(ModuleFactors f) => f.Lambda;
}
