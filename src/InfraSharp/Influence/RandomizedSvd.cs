using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// Rank-R factorisation of a batch of matrices M [Q, m, n] ≈ U Vᵀ by randomized range finding (Halko et al.)
/// with a few power iterations, seeded; exact when R reaches min(m, n).
/// </summary>
internal static class RandomizedSvd
{
    public static (Tensor U, Tensor V) Factor(
        Tensor m,
        int rank,
        long seed,
        int oversample = 8,
        int powerIterations = 2
    )
    {
        using var scope = NewDisposeScope();
        long q = m.shape[0],
            rows = m.shape[1],
            cols = m.shape[2];
        int k = (int)Math.Min(rank, Math.Min(rows, cols));
        var m64 = m.to(ScalarType.Float64);
        Tensor u,
            s,
            vh;
        if (k + oversample >= Math.Min(rows, cols))
        {
            (u, s, vh) = linalg.svd(m64, fullMatrices: false);
        }
        else
        {
            var omega = randn(
                [q, cols, k + oversample],
                dtype: ScalarType.Float64,
                device: m.device,
                generator: Models.ComputeDevice.Generator(seed, m.device)
            );
            var y = matmul(m64, omega);
            for (int i = 0; i < powerIterations; i++)
            {
                y = linalg.qr(y).Q;
                y = matmul(m64, matmul(m64.transpose(1, 2), y));
            }
            var basis = linalg.qr(y).Q; // [Q, rows, k+p]
            var small = matmul(basis.transpose(1, 2), m64); // [Q, k+p, cols]
            Tensor us;
            (us, s, vh) = linalg.svd(small, fullMatrices: false);
            u = matmul(basis, us);
        }
        var uk = u.narrow(2, 0, k) * s.narrow(1, 0, k).unsqueeze(1);
        var vk = vh.narrow(1, 0, k).transpose(1, 2);
        return (
            uk.to(ScalarType.Float32).MoveToOuterDisposeScope(),
            vk.to(ScalarType.Float32).MoveToOuterDisposeScope()
        );
    }
}
