using InfraSharp.Influence;
using InfraSharp.Storage;
using InfraSharp.Tests.Cli;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Launch;

/// <summary>
/// Two tasks given the same partition by mistake (a requeue racing the original): both run at once in their own
/// processes, and the stage still equals one run's, because every file is renamed into place whole. System tier: it
/// races real <c>infra</c> processes against each other.
/// </summary>
[Collection("cli")]
[Trait("Category", "System")]
public class DuplicateTaskTests
{
    [Fact]
    public async Task TwoTasksOnTheSamePartitionDoNotCorruptTheStage()
    {
        const string name = "tiny-llama";
        string root = Fixtures.TempDir(),
            shared = Path.Combine(root, "shared"),
            single = Path.Combine(root, "single");
        string train = Fixtures.Path_(name, "train.jsonl");
        string[] Args(string outDir, string partition) =>
            [
                "factors",
                "--model",
                Fixtures.Model(name),
                "--data",
                train,
                "--out",
                outDir,
                "--stage",
                "covariance",
                "--partition",
                partition,
            ];
        // Partition 0/2 twice at the same time, then 1/2 (whose finish merges the stage).
        var twins = new[]
        {
            Task.Run(() => InfraProcess.Run(Args(shared, "0/2"))),
            Task.Run(() => InfraProcess.Run(Args(shared, "0/2"))),
        };
        foreach (var r in await Task.WhenAll(twins))
            Assert.True(r.ExitCode == 0, r.Stderr);
        var last = InfraProcess.Run(Args(shared, "1/2"));
        Assert.True(last.ExitCode == 0, last.Stderr);
        Assert.Empty(Directory.GetFiles(shared, "*.tmp*", SearchOption.AllDirectories));
        FactorRun.Run(
            new FactorRunArguments { Model = Fixtures.Model(name), Data = train },
            single,
            stage: FactorStage.Covariance
        );
        var mine = SafeTensorsFile.ReadAll(FactorFiles.StagePath(shared, FactorFiles.Covariance));
        foreach (var (key, reference) in SafeTensorsFile.ReadAll(FactorFiles.StagePath(single, FactorFiles.Covariance)))
        {
            double rel = (
                (mine[key].to(ScalarType.Float64) - reference.to(ScalarType.Float64)).norm()
                / reference.to(ScalarType.Float64).norm().clamp_min(1e-30)
            ).item<double>();
            Assert.True(rel <= 1e-6, $"{key}: relative difference {rel}");
        }
    }
}
