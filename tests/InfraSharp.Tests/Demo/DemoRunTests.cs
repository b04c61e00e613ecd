using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Demo;
using InfraSharp.Storage;

namespace InfraSharp.Tests.Demo;

/// <summary>
/// The demo as a library run: its manifest records its arguments whole, the same demo resumes, and another is
/// refused with a one-line diff before any work (or, with Overwrite, replaces it). A cancelled token stops each call
/// right after the folder is prepared, so that no stage runs.
/// </summary>
public class DemoRunTests
{
    private static RunOptions Stopped(bool overwrite = false) =>
        new() { Overwrite = overwrite, Cancellation = new CancellationToken(canceled: true) };

    [Fact]
    public void TheManifestRecordsTheArgumentsAndAnotherDemoIsRefusedWithAOneLineDiff()
    {
        string dir = Path.Combine(Fixtures.TempDir(), "demo");
        var quick = DemoRunArguments.Quick with { Seed = 3 };
        Assert.Throws<OperationCanceledException>(() => DemoRun.Run(quick, dir, Stopped()));
        var manifest = RunManifest.Read(dir)!;
        Assert.Equal("infrasharp-run", manifest["format"]!.ToString());
        Assert.Equal(DemoRun.Kind, manifest["kind"]!.ToString());
        var arguments = manifest["arguments"]!.AsObject();
        Assert.True(
            JsonNode.DeepEquals(JsonSerializer.SerializeToNode(quick, DemoJson.Manifest.DemoRunArguments), arguments),
            arguments.ToJsonString()
        );
        Assert.Equal(3, arguments["seed"]!.GetValue<int>());
        Assert.Equal(1, arguments["seeds"]!.GetValue<int>());
        Assert.Equal(800, arguments["train_size"]!.GetValue<int>());
        Assert.Equal(DemoRunArguments.Quick.Shape, arguments["shape"]!.ToString());
        Assert.Contains("retrain/**", manifest["owns"]!.AsArray().Select(o => o!.ToString()));
        Assert.Equal(["manifest.json"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));

        // The same demo resumes (stopped again by the token, not refused).
        Assert.Throws<OperationCanceledException>(() => DemoRun.Run(quick, dir, Stopped()));

        // Another is refused, naming what differs, and the folder is left as it was.
        string before = File.ReadAllText(RunManifest.PathIn(dir));
        var e = Assert.ThrowsAny<ArgumentException>(() => DemoRun.Run(quick with { Seeds = 2 }, dir, Stopped()));
        Assert.True(InputError.Is(e, out _));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("arguments.seeds: 1 -> 2", e.Message);
        Assert.Contains("--overwrite", e.Message);
        var full = Assert.ThrowsAny<ArgumentException>(() => DemoRun.Run(DemoRunArguments.Full, dir, Stopped()));
        Assert.Contains("arguments.epochs: 3 -> 4", full.Message);
        Assert.Equal(before, File.ReadAllText(RunManifest.PathIn(dir)));

        // With Overwrite the other demo takes the folder over.
        Assert.Throws<OperationCanceledException>(() => DemoRun.Run(quick with { Seeds = 2 }, dir, Stopped(true)));
        Assert.Equal(2, RunManifest.Read(dir)!["arguments"]!["seeds"]!.GetValue<int>());
    }

    [Fact]
    public void BadArgumentsAreRefusedBeforeTheFolderIsTouched()
    {
        string dir = Path.Combine(Fixtures.TempDir(), "demo");
        var e = Assert.ThrowsAny<ArgumentException>(() =>
            DemoRun.Run(DemoRunArguments.Quick with { Seeds = 0 }, dir, Stopped())
        );
        Assert.True(InputError.Is(e, out _));
        Assert.Equal("--seeds must be at least 1 (got 0)", e.Message);
        Assert.False(Directory.Exists(dir));
    }
}
