using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Runtime;

namespace InfraSharp.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        NativeAllocator.Configure();
        // INFRASHARP_LIBTORCH must take effect before TorchSharp loads anything; a bad folder is bad input.
        try
        {
            LibTorch.Load();
        }
        catch (Exception e) when (InputError.Is(e, out var inner))
        {
            Console.Error.WriteLine($"error: {CliRunner.OneLine(inner.Message)}");
            return 2;
        }
        var parsed = BuildRoot().Parse(args);
        // A bad option (missing, unknown, out of range, not one of an enum's values) is bad input: one line, exit 2.
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"error: {CliRunner.OneLine(parsed.Errors[0].Message)}");
            return 2;
        }
        return parsed.Invoke();
    }

    /// <summary>The whole command tree (also what the tests walk to find every command).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "InfraSharp: which training data made the model better at math and code (influence functions, Infra "
                + "method)."
        );
        foreach (var version in root.Options.OfType<VersionOption>())
            version.Action = new VersionAction();
        root.Subcommands.Add(EncodeCommand.Build());
        root.Subcommands.Add(GenerateCommand.Build());
        root.Subcommands.Add(DataCommand.Build());
        root.Subcommands.Add(TrainCommand.Build());
        root.Subcommands.Add(EvalCommand.Build());
        root.Subcommands.Add(InfluenceCommands.Factors());
        root.Subcommands.Add(InfluenceCommands.Scores());
        root.Subcommands.Add(InfluenceCommands.Merge());
        root.Subcommands.Add(AnalyzeCommand.Build());
        root.Subcommands.Add(CurateCommand.Build());
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(ExperimentCommand.Build());
        root.Subcommands.Add(InitCommand.Build());
        root.Subcommands.Add(PlanCommand.Build());
        root.Subcommands.Add(LaunchCommand.Build());
        root.Subcommands.Add(ValidateCommand.Build());
        root.Subcommands.Add(IndexCommand.Build());
        root.Subcommands.Add(ExploreCommand.Build());
        return root;
    }
}
