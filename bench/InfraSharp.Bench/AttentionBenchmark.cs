using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using InfraSharp.Models;
using static TorchSharp.torch;

namespace InfraSharp.Bench;

/// <summary>
/// Forward+backward time and peak resident growth of explicit attention against the fused kernel (SDPA), at
/// T = 512, 1024, 2048, for one decoder layer of Qwen2.5-0.5B's shape and for an 8-layer model (the influence
/// benchmark's shape), beside the f32 matmul rate of the same run. Each configuration runs in a process of its
/// own: resident memory that glibc or libtorch keep after one configuration would otherwise show up in the next.
/// Times come from one process that alternates the two kernels, because the machine is shared and its load
/// changes from one minute to the next.
/// </summary>
public static class AttentionBenchmark
{
    private static readonly int[] Lengths = [512, 1024, 2048];

    private static ModelConfig Shape(string scope) =>
        scope == "layer"
            ? new ModelConfig
            {
                ModelType = "qwen2",
                VocabSize = 256,
                HiddenSize = 896,
                IntermediateSize = 4864,
                NumLayers = 1,
                NumHeads = 14,
                NumKvHeads = 2,
                HeadDim = 64,
                RmsNormEps = 1e-6,
                RopeTheta = 1e6,
                TieWordEmbeddings = true,
                AttentionBias = true,
            }
            : new ModelConfig
            {
                ModelType = "qwen2",
                VocabSize = 8192,
                HiddenSize = 512,
                IntermediateSize = 1536,
                NumLayers = 8,
                NumHeads = 8,
                NumKvHeads = 2,
                HeadDim = 64,
                RmsNormEps = 1e-6,
                RopeTheta = 1e6,
                TieWordEmbeddings = true,
                AttentionBias = true,
            };

    public static void Run()
    {
        double rate0 = MatmulRate.GflopsF32();
        var rows = new List<string>();
        foreach (var scope in new[] { "layer", "model" })
        {
            var cfg = Shape(scope);
            foreach (int t in Lengths)
            {
                double pe = Parse(Child("memory", scope, t, AttentionKernel.Explicit))[0];
                double pf = Parse(Child("memory", scope, t, AttentionKernel.Auto))[0];
                var time = Parse(Child("time", scope, t, AttentionKernel.Auto));
                double te = time[0],
                    tf = time[1],
                    rate = time[2];
                // One float32 [1, H, T, T] tensor per layer, the unit the explicit path's memory grows in.
                double square = 4.0 * cfg.NumHeads * t * t * cfg.NumLayers / (1 << 20);
                rows.Add(
                    $"| {scope} ({cfg.NumLayers} x {cfg.NumHeads} heads) | {t} | {te:F3} | {tf:F3} "
                        + $"| {te / tf:F2} | {rate:F0} | {pe:F0} | {pf:F0} | {square:F0} |"
                );
            }
        }
        double rate1 = MatmulRate.GflopsF32();
        Console.WriteLine(
            $"threads={get_num_threads()}  f32 matmul 1024^2: {(rate0 + rate1) / 2:F1} GFLOP/s "
                + $"(before {rate0:F1}, after {rate1:F1})"
        );
        Console.WriteLine(
            "forward+backward of logits.sum(), batch 1, float32. Time: best of 4, explicit and fused "
                + "alternating in one process, beside the matmul rate measured in that process just before. Peak: "
                + "VmHWM "
                + "growth over the resident set after a warm-up step, in a fresh process per kernel."
        );
        Console.WriteLine(
            "| shape | T | explicit s | fused s | explicit/fused | matmul GFLOP/s | explicit peak MiB "
                + "| fused peak MiB | [H,T,T] f32 x layers MiB |"
        );
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            Console.WriteLine(r);
    }

    private static double[] Parse(string line) =>
        line.Split(' ').Skip(1).Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Runs <see cref="RunOne"/> in a child process and returns its "result ..." line.</summary>
    private static string Child(string what, string scope, int t, AttentionKernel kernel)
    {
        string exe = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, UseShellExecute = false };
        // Under `dotnet InfraSharp.Bench.dll` the process is dotnet itself: name the assembly again.
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
            psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var a in new[] { "attention-one", what, scope, t.ToString(CultureInfo.InvariantCulture), $"{kernel}" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        if (p.ExitCode != 0 || !last.StartsWith("result ", StringComparison.Ordinal))
            throw new InvalidOperationException(
                $"attention-one {what} {scope} {t} {kernel} failed ({p.ExitCode}): {output}"
            );
        return last;
    }

    /// <summary>
    /// In its own process, prints "result MiB": the peak resident growth of one forward+backward with
    /// <paramref name="kernel"/> ("memory"); or "result explicit-s fused-s matmul-GFLOP/s": the best of
    /// <paramref name="reps"/> times of each kernel, alternating so that a change of load on the shared machine
    /// hits both ("time").
    /// </summary>
    public static void RunOne(string what, string scope, int t, AttentionKernel kernel, int reps = 4)
    {
        using var model = CausalLM.Initialize(Shape(scope), seed: 0);
        model.RequiresGrad(true);
        var ids = randint(0, model.Config.VocabSize, [1, t], dtype: ScalarType.Int64);
        double Step(AttentionKernel k)
        {
            model.AttentionKernel = k;
            using var _ = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            model.Forward(ids).sum().backward();
            return sw.Elapsed.TotalSeconds;
        }
        if (what == "time")
        {
            double rate = MatmulRate.GflopsF32();
            Step(AttentionKernel.Explicit);
            Step(AttentionKernel.Auto);
            double te = double.MaxValue,
                tf = double.MaxValue;
            for (int r = 0; r < reps; r++)
            {
                te = Math.Min(te, Step(AttentionKernel.Explicit));
                tf = Math.Min(tf, Step(AttentionKernel.Auto));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"result {te:F4} {tf:F4} {rate:F1}"));
            return;
        }
        // The warm-up allocates the parameters' gradients: they belong to the baseline, not to attention.
        Step(kernel);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long baseline = Status("VmRSS:");
        ResetPeak();
        if (Status("VmHWM:") > baseline + (16 << 20))
            throw new InvalidOperationException("VmHWM could not be reset (/proc/self/clear_refs)");
        Step(kernel);
        double peak = (Status("VmHWM:") - baseline) / (double)(1 << 20);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"result {peak:F1}"));
    }

    private static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException($"{field} not in /proc/self/status");
    }

    // Writing 5 to clear_refs resets the peak resident set (VmHWM) to the current one (Linux 4.0+).
    private static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");
}
