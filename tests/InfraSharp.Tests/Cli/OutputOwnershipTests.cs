using InfraSharp.Storage;
using InfraSharp.Tests.Storage;

namespace InfraSharp.Tests.Cli;

/// <summary>
/// No run deletes or changes a file it did not write: output folders are new, empty or a run folder of the same kind
/// (whose manifest lists what that kind writes), outputs never land on inputs, file outputs are not replaced without
/// <c>--overwrite</c>. Each case runs the real command and hashes every user folder before and after.
/// System tier: dozens of <c>infra</c> processes and folder hashes, 30-50 s per test here.
/// </summary>
[Trait("Category", "System")]
public class OutputOwnershipTests
{
    private static readonly string Model = Fixtures.Model("tiny-llama");
    private static readonly string Train = Fixtures.Path_("tiny-llama", "train.jsonl");
    private static readonly string Queries = Fixtures.Path_("tiny-llama", "queries.jsonl");

    private static string CopyModel(string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Model))
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    private static string[] Factors(string model, string data, string outDir, params string[] more) =>
        ["factors", "--model", model, "--data", data, "--out", outDir, "--modules", "mlp", .. more];

    /// <summary>Runs a command that must be refused: exit 2, one line naming <paramref name="culprit"/>, nothing
    /// changed.</summary>
    private static void Refused(string[] args, string culprit, params string[] watched)
    {
        var before = watched.Select(FolderSnapshot.Of).ToList();
        var r = InfraProcess.Run(args);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Single(r.ErrorLines);
        Assert.Contains(culprit, r.ErrorLines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
        for (int i = 0; i < watched.Length; i++)
            Assert.True(
                FolderSnapshot.Diff(before[i], FolderSnapshot.Of(watched[i])) == "",
                $"{watched[i]}: {FolderSnapshot.Diff(before[i], FolderSnapshot.Of(watched[i]))}"
            );
    }

    private static void Ok(string[] args)
    {
        var r = InfraProcess.Run(args);
        Assert.True(r.ExitCode == 0, $"infra {string.Join(' ', args)}: exit {r.ExitCode}: {r.Stderr}");
    }

    [Fact]
    public void AModelWrittenByTrainIsNeitherOverwrittenByFactorsNorDeletedByTrainingOnItself()
    {
        string root = Fixtures.TempDir(),
            m = Path.Combine(root, "trained");
        Ok(["train", "--model", Model, "--data", Train, "--max-steps", "2", "--out", m]);
        Assert.True(File.Exists(Path.Combine(m, "model.safetensors")));
        Refused(Factors(m, Train, m, "--overwrite"), "--out", m);
        Refused(["train", "--model", m, "--data", Train, "--out", m, "--overwrite", "--max-steps", "1"], "--out", m);
        // Another kind's run folder is not a factors folder, whatever --overwrite says.
        Refused(Factors(Model, Train, m, "--overwrite"), "'training'", m);
    }

    [Fact]
    public void AFolderOfSomeoneElseIsNeverWrittenInto()
    {
        string root = Fixtures.TempDir(),
            app = Path.Combine(root, "webapp");
        Directory.CreateDirectory(app);
        File.WriteAllText(
            Path.Combine(app, "manifest.json"),
            "{\"name\": \"my app\", \"version\": \"1.0\", \"icons\": []}"
        );
        File.WriteAllText(Path.Combine(app, "index.html"), "<p>mine</p>");
        Refused(Factors(Model, Train, app, "--overwrite"), "manifest.json", app);
        // A plain model folder (no run manifest): factors would join the model's files.
        string plain = CopyModel(Path.Combine(root, "plain"));
        Refused(Factors(Model, Train, plain), "not empty", plain);
        Refused(["init", "--shape", "qwen2.5-0.5b", "--out", app, "--overwrite"], "manifest.json", app);
    }

    [Fact]
    public void AnOutputFolderThatHoldsOrLiesInsideAnInputIsRefused()
    {
        string root = Fixtures.TempDir(),
            d = Path.Combine(root, "data");
        Directory.CreateDirectory(d);
        string train = Path.Combine(d, "train.jsonl"),
            other = Path.Combine(d, "notes.txt");
        File.Copy(Train, train);
        File.WriteAllText(other, "my notes");
        Refused(Factors(Model, train, d), "contains the --data input", d);
        Refused(Factors(Model, train, d, "--overwrite"), "contains the --data input", d);
        string m = CopyModel(Path.Combine(root, "model"));
        Refused(Factors(m, Train, Path.Combine(m, "factors")), "lies inside the --model input", m);
        string f = Path.Combine(root, "factors");
        Ok(Factors(Model, Train, f));
        Refused(
            [
                "scores",
                "pairwise",
                "--model",
                Model,
                "--factors",
                f,
                "--train",
                Train,
                "--queries",
                Queries,
                "--out",
                Path.Combine(f, "scores"),
            ],
            "lies inside the --factors input",
            f
        );
        Refused(["curate", "--data", train, "--out", train], "is the --data input", d);
        Refused(["curate", "--data", train, "--out", train, "--overwrite"], "is the --data input", d);
        Refused(["encode", "--model", Model, "--data", train, "--out", train, "--overwrite"], "is the --data input", d);
    }

    [Fact]
    public void OverwriteRemovesOnlyWhatTheRunKindWrote()
    {
        string root = Fixtures.TempDir(),
            f = Path.Combine(root, "factors");
        Ok(Factors(Model, Train, f));
        var first = FolderSnapshot.Of(f);
        Assert.Contains("eigen.safetensors", first.Keys);
        File.WriteAllText(Path.Combine(f, "notes.txt"), "what I found");
        Refused(Factors(Model, Train, f, "--strategy", "kfac", "--overwrite"), "notes.txt", f);
        File.Delete(Path.Combine(f, "notes.txt"));
        // Only its own files: --overwrite starts over, and the K-FAC run has no eigenvalue corrections.
        Ok(Factors(Model, Train, f, "--strategy", "kfac", "--overwrite"));
        Assert.Contains("\"kfac\"", File.ReadAllText(Path.Combine(f, "manifest.json")));
        Assert.Contains("\"owns\"", File.ReadAllText(Path.Combine(f, "manifest.json")));
    }

    [Fact]
    public void FileOutputsAreNotReplacedWithoutOverwrite()
    {
        string root = Fixtures.TempDir(),
            d = Path.Combine(root, "synth");
        Ok(["data", "synth", "--out", d, "--size", "20", "--eval-per-cell", "1", "--queries-per-cell", "1"]);
        File.AppendAllText(Path.Combine(d, "train.jsonl"), "");
        Refused(["data", "synth", "--out", d, "--size", "20", "--seed", "2"], "train.jsonl", d);
        Ok(["data", "synth", "--out", d, "--size", "20", "--seed", "2", "--overwrite"]);
        string curated = Path.Combine(root, "curated.jsonl");
        Ok(["curate", "--data", Path.Combine(d, "train.jsonl"), "--out", curated]);
        Refused(
            ["curate", "--data", Path.Combine(d, "train.jsonl"), "--out", curated, "--seed", "3"],
            "curated.jsonl",
            root
        );
        Ok(["curate", "--data", Path.Combine(d, "train.jsonl"), "--out", curated, "--seed", "3", "--overwrite"]);
    }

    [Fact]
    public void AbandonedTemporaryFilesOfTheRunAreRemovedOnTheNextRun()
    {
        string root = Fixtures.TempDir(),
            f = Path.Combine(root, "factors");
        Ok(Factors(Model, Train, f));
        string host = Environment.MachineName,
            guid = Guid.NewGuid().ToString("N");
        // A process id that cannot be running (above Linux's pid_max), one that is (this test), and a user's file
        // that merely looks like a temporary name of a file the run does not write.
        string dead = Path.Combine(f, $"lambda.safetensors.tmp-99999999-{guid}-{host}");
        string live = Path.Combine(f, $"lambda.safetensors.tmp-{Environment.ProcessId}-{guid}-{host}");
        string deadChunk = Path.Combine(f, "partitions", $"covariance-0000-of-0002.safetensors.tmp-99999999-{guid}");
        string foreign = Path.Combine(f, $"notes.txt.tmp-99999999-{guid}-{host}");
        Directory.CreateDirectory(Path.Combine(f, "partitions"));
        foreach (var p in new[] { dead, live, deadChunk, foreign })
            File.WriteAllText(p, "partial");
        var before = File.ReadAllBytes(Path.Combine(f, "eigen.safetensors"));
        Ok(Factors(Model, Train, f));
        Assert.False(File.Exists(dead));
        Assert.False(File.Exists(deadChunk));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(foreign));
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(f, "eigen.safetensors")));
        Assert.True(AtomicFile.IsAbandoned(dead) || !File.Exists(dead));
        Assert.False(AtomicFile.IsAbandoned(live));
    }
}
