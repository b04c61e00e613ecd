using System.Diagnostics;
using static TorchSharp.torch;

namespace InfraSharp.Bench;

/// <summary>
/// The machine's own float32 matmul rate, measured in the same run as every throughput it stands beside:
/// the machine is shared and noisy, and a ratio survives that where a time does not.
/// </summary>
public static class MatmulRate
{
    public static double GflopsF32(int n = 1024, int reps = 20) => Gflops(ScalarType.Float32, n, reps);

    /// <summary>The rate of an n x n matmul in <paramref name="type"/> (bf16 uses AMX where the CPU has it).</summary>
    public static double Gflops(ScalarType type, int n = 1024, int reps = 20, Device? device = null)
    {
        using var scope = NewDisposeScope();
        device ??= CPU;
        var a = randn(n, n).to(type, device);
        var b = randn(n, n).to(type, device);
        for (int i = 0; i < 3; i++)
            matmul(a, b).Dispose();
        // A GPU queues its kernels: wait for them, or the clock measures only the launches.
        void Sync()
        {
            if (device.type == TorchSharp.DeviceType.CUDA)
                cuda.synchronize(device);
        }
        Sync();
        var best = double.MaxValue;
        for (int r = 0; r < 3; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++)
                matmul(a, b).Dispose();
            Sync();
            best = Math.Min(best, sw.Elapsed.TotalSeconds / reps);
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}
