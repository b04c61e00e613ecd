namespace InfraSharp.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        NativeAllocator.Configure();
        string which = args.Length > 0 ? args[0] : "layer";
        switch (which)
        {
            case "layer":
                LayerBenchmark.Run();
                return 0;
            case "influence":
                InfluenceBenchmark.Run();
                return 0;
            case "attention":
                AttentionBenchmark.Run();
                return 0;
            case "plan-check":
                PlannerCheck.Run(args[1], args[2], args.Length > 3 ? args[3] : "ABC");
                return 0;
            case "matmul" when args.Length > 1 && args[1] == "cuda":
                // The GPU's own rates (4096^2: 1024^2 is too small to fill an H100), for bench/gpu/run.sh.
                foreach (var t in new[] { TorchSharp.torch.ScalarType.Float32, TorchSharp.torch.ScalarType.BFloat16 })
                    Console.WriteLine(
                        $"cuda {t} matmul 4096^2: {MatmulRate.Gflops(t, 4096, 50, TorchSharp.torch.CUDA):F1} GFLOP/s"
                    );
                return 0;
            case "matmul":
                foreach (
                    var t in new[]
                    {
                        TorchSharp.torch.ScalarType.Float32,
                        TorchSharp.torch.ScalarType.BFloat16,
                        TorchSharp.torch.ScalarType.Float64,
                    }
                )
                    Console.WriteLine($"{t} matmul 1024^2: {MatmulRate.Gflops(t):F1} GFLOP/s");
                return 0;
            case "index-store":
                IndexBenchmark.Store(args[1], long.Parse(args[2]), int.Parse(args[3]));
                return 0;
            case "store-scan":
                IndexBenchmark.StoreScan(args[1], args.Length > 2 ? args[2] : "1,16,256");
                return 0;
            case "index-latency":
                IndexBenchmark.Latency(args[1]);
                return 0;
            case "index-check-cost":
                IndexBenchmark.CheckCost(args[1]);
                return 0;
            case "index-compare":
                IndexBenchmark.Compare(args[1], args[2], args.Length > 3 ? int.Parse(args[3]) : 100);
                return 0;
            case "explore-latency":
                ExplorerBenchmark.Run(
                    args[1],
                    args.Length > 2 ? int.Parse(args[2]) : 10_000,
                    args.Length > 3 ? int.Parse(args[3]) : 100
                );
                return 0;
            case "attention-one":
                var kernel = Enum.Parse<Models.AttentionKernel>(args[4]);
                AttentionBenchmark.RunOne(args[1], args[2], int.Parse(args[3]), kernel);
                return 0;
            default:
                Console.Error.WriteLine(
                    "usage: InfraSharp.Bench "
                        + "[layer|influence|attention|matmul|plan-check|index-store|index-latency|index-check-cost|"
                        + "index-compare|store-scan|explore-latency]"
                );
                return 2;
        }
    }
}
