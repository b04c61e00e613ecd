using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// Eigendecomposition of a covariance factor: in float64, of the symmetrised matrix, after checking that it
/// holds no NaN or Inf (which would otherwise abort inside LAPACK). Results are kept in float32.
/// </summary>
internal static class EigenBasis
{
    public static (Tensor Eigenvalues, Tensor Eigenvectors) Decompose(Tensor covariance, string module, string which)
    {
        using var scope = NewDisposeScope();
        var c = covariance.to(ScalarType.Float64);
        if (!c.isfinite().all().item<bool>())
            throw InputError.Data(
                $"module '{module}': the {which} covariance holds NaN or Inf; the model or data produced non-finite "
                    + $"values"
            );
        c = (c + c.transpose(0, 1)) * 0.5;
        var (values, vectors) = linalg.eigh(c);
        return (
            values.to(ScalarType.Float32).MoveToOuterDisposeScope(),
            vectors.to(ScalarType.Float32).MoveToOuterDisposeScope()
        );
    }
}
