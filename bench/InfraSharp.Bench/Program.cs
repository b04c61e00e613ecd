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
            default:
                Console.Error.WriteLine("usage: InfraSharp.Bench [layer|influence]");
                return 2;
        }
    }
}
