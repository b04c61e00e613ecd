namespace InfraSharp.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        NativeAllocator.Configure();
        string which = args.Length > 0 ? args[0] : "layer";
        switch (which)
        {
            case "layer": LayerBenchmark.Run(); return 0;
            case "influence": InfluenceBenchmark.Run(); return 0;
            case "attention": AttentionBenchmark.Run(); return 0;
            case "attention-one":
                var kernel = Enum.Parse<Models.AttentionKernel>(args[4]);
                AttentionBenchmark.RunOne(args[1], args[2], int.Parse(args[3]), kernel);
                return 0;
            default:
                Console.Error.WriteLine("usage: InfraSharp.Bench [layer|influence|attention]");
                return 2;
        }
    }
}
