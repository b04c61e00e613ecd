using InfraSharp.Influence;
using InfraSharp.Storage;

namespace InfraSharp.Tests.Influence;

/// <summary>
/// A factor run and a score run cancelled midway (through <see cref="RunOptions.Cancellation"/>, from their own
/// progress reports) throw <see cref="OperationCanceledException"/>, and the same run again finishes with files
/// byte for byte those of a run that was never stopped.
/// </summary>
public class CancellationTests
{
    private static readonly string Model = Fixtures.Model("tiny-llama");
    private static readonly string Train = Fixtures.Path_("tiny-llama", "train.jsonl");
    private static readonly string Queries = Fixtures.Path_("tiny-llama", "queries.jsonl");

    // Small batches and chunks, so that each stage has many steps to stop between.
    private static readonly FactorRunArguments Factors = new()
    {
        Model = Model,
        Data = Train,
        Fit = new FactorArguments
        {
            Strategy = StrategyKind.Ekfac,
            Modules = ModuleSelection.Mlp,
            TokensPerBatch = 256,
        },
    };

    private static ScoreRunArguments Scores(string factors) =>
        new()
        {
            Model = Model,
            Factors = factors,
            Train = Train,
            Queries = Queries,
            Score = new ScoreArguments
            {
                TokensPerBatch = 256,
                ChunkSize = 16,
                PerToken = true,
            },
        };

    /// <summary>Cancels its source at the first count of <paramref name="stage"/> past zero, and records it
    /// all.</summary>
    private sealed class CancelAt(string stage, CancellationTokenSource source) : IProgress<RunProgress>
    {
        public List<RunProgress> Seen { get; } = [];

        public void Report(RunProgress value)
        {
            lock (Seen)
                Seen.Add(value);
            if (value.Stage.StartsWith(stage, StringComparison.Ordinal) && value.Done > 0 && value.Done < value.Total)
                source.Cancel();
        }
    }

    [Fact]
    public void ACancelledFactorRunResumesToTheFilesOfAnUnstoppedRun()
    {
        string root = Fixtures.TempDir(),
            whole = Path.Combine(root, "whole"),
            stopped = Path.Combine(root, "stopped");
        FactorRun.Run(Factors, whole);

        using var cts = new CancellationTokenSource();
        var progress = new CancelAt("lambda", cts);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            FactorRun.Run(Factors, stopped, new RunOptions { Cancellation = cts.Token, Progress = progress })
        );
        // It got as far as the lambda stage, and stopped there: no lambda file, but the earlier stages whole.
        Assert.Contains(progress.Seen, p => p.Stage.StartsWith("covariance") && p.Done == p.Total);
        Assert.Contains(progress.Seen, p => p.Stage == "eigendecomposition" && p.Unit == "modules");
        Assert.False(File.Exists(Path.Combine(stopped, "lambda.safetensors")));
        Assert.True(File.Exists(Path.Combine(stopped, "eigen.safetensors")));

        FactorRun.Run(Factors, stopped);
        AssertSameFiles(whole, stopped);
    }

    [Fact]
    public void ACancelledScoreRunResumesToTheFilesOfAnUnstoppedRun()
    {
        string root = Fixtures.TempDir(),
            factors = Path.Combine(root, "factors"),
            whole = Path.Combine(root, "whole"),
            stopped = Path.Combine(root, "stopped");
        FactorRun.Run(Factors, factors);
        ScoreRun.Run(Scores(factors), whole);

        using var cts = new CancellationTokenSource();
        var progress = new CancelAt("pairwise scores", cts);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            ScoreRun.Run(Scores(factors), stopped, new RunOptions { Cancellation = cts.Token, Progress = progress })
        );
        // Stopped between chunks: some chunk files written, the assembled scores not.
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(stopped, "chunks"), "pairwise-*.safetensors"));
        Assert.False(File.Exists(Path.Combine(stopped, "pairwise.safetensors")));
        var counted = progress.Seen.Where(p => p.Stage == "pairwise scores").ToList();
        Assert.All(counted, p => Assert.Equal(128, p.Total));

        ScoreRun.Run(Scores(factors), stopped);
        AssertSameFiles(whole, stopped);
    }

    /// <summary>The same relative file names with the same bytes.</summary>
    private static void AssertSameFiles(string expected, string actual)
    {
        static Dictionary<string, byte[]> Read(string dir) =>
            Directory
                .EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);
        var want = Read(expected);
        var got = Read(actual);
        Assert.Equal(want.Keys.Order(), got.Keys.Order());
        foreach (var (name, bytes) in want)
            Assert.True(bytes.AsSpan().SequenceEqual(got[name]), $"{name} differs after the resumed run");
    }
}
