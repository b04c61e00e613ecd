using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace InfraSharp.Index;

/// <summary>
/// Stored rows to float32 for the scan's matmul, on every core with .NET's vectorised conversion (F16C / AVX where
/// the CPU has them): libtorch's CPU half-to-float cast is scalar and held the scan to a few percent of memory speed.
/// The values are exactly libtorch's (every float16 is a float32).
/// </summary>
internal static class RowWidening
{
    // Rows per task: a few MiB each, enough to amortise scheduling, small enough to spread over the cores.
    private const int ChunkRows = 256;

    /// <summary>
    /// <paramref name="rows"/> (float16 or float32, [n, d], contiguous, CPU) as float32: float32 rows as they are,
    /// float16 rows widened into <paramref name="buffer"/> (float32 with at least n rows of d), whose first n rows
    /// are returned.
    /// </summary>
    public static Tensor ToFloat32(Tensor rows, Tensor buffer)
    {
        if (rows.dtype == ScalarType.Float32)
            return rows;
        if (rows.dtype != ScalarType.Float16)
            throw new ArgumentException($"stored rows of dtype {rows.dtype}: float16 or float32 expected");
        long n = rows.shape[0],
            d = rows.shape[1];
        var into = buffer.narrow(0, 0, n);
        // Raw addresses are taken here, on the calling thread: the tasks make no TorchSharp calls (a tensor made on a
        // pool thread would join whatever dispose scope that thread is in).
        IntPtr from = Address(rows),
            to = Address(into);
        int chunks = (int)((n + ChunkRows - 1) / ChunkRows);
        Parallel.For(0, chunks, c =>
        {
            long start = c * (long)ChunkRows,
                count = Math.Min(ChunkRows, n - start);
            Convert(from + (nint)(start * d * 2), to + (nint)(start * d * 4), checked((int)(count * d)));
        });
        return into;
    }

    // A CPU tensor's storage is native memory: its address stays valid outside the fixed block.
    private static unsafe IntPtr Address(Tensor t)
    {
        fixed (byte* p = t.bytes)
            return (IntPtr)p;
    }

    private static unsafe void Convert(IntPtr halves, IntPtr singles, int length) =>
        TensorPrimitives.ConvertToSingle(
            new ReadOnlySpan<Half>((void*)halves, length),
            new Span<float>((void*)singles, length)
        );
}
