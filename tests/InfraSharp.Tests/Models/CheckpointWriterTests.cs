using System.Security.Cryptography;
using InfraSharp.Models;
using InfraSharp.Storage;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Models;

/// <summary>A saved model folder appears complete or not at all; a failed save leaves the old one as is.</summary>
public sealed class CheckpointWriterTests : IDisposable
{
    private readonly string _root = Fixtures.TempDir();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly string[] Always = ["config.json", "generation_config.json", "model.safetensors"];

    /// <summary>The files a save of fixture <paramref name="name"/> must produce (model and tokenizer).</summary>
    private static string[] ExpectedFiles(string name) =>
        Always
            .Concat(CheckpointWriter.TokenizerFiles.Where(f => File.Exists(Path.Combine(Fixtures.Model(name), f))))
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static string[] FileNames(string dir) =>
        Directory.GetFiles(dir).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Every file under <paramref name="dir"/> with a hash of its bytes.</summary>
    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory
            .GetFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(
                f => Path.GetRelativePath(dir, f),
                f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))
            );

    /// <summary>Nothing but <paramref name="expected"/> beside the model folder: no staging folder left.</summary>
    private void NothingElseIn(params string[] expected) =>
        Assert.Equal(
            expected.Order(StringComparer.Ordinal),
            Directory.GetFileSystemEntries(_root).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)
        );

    private static void SameLogits(CausalLM model, string dir)
    {
        using var back = ModelLoader.Load(dir);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = tensor(new long[] { 1, 5, 9, 200, 3, 2, 7 }, [1, 7]);
        Assert.Equal(0f, (model.Forward(ids) - back.Forward(ids)).abs().max().item<float>());
    }

    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void SaveToANewFolderIsOneRenameOfACompleteFolder(string name)
    {
        string dir = Path.Combine(_root, "model");
        using var model = ModelLoader.Load(Fixtures.Model(name));
        CheckpointWriter.Save(model, dir + "/", Fixtures.Model(name)); // a trailing separator changes nothing
        Assert.Equal(ExpectedFiles(name), FileNames(dir));
        Assert.Empty(Directory.GetDirectories(dir));
        NothingElseIn("model");
        SameLogits(model, dir);
    }

    [Fact]
    public void SaveOverAnOutputFolderReplacesTheModelAndKeepsTheRest()
    {
        // A training run's output folder: an earlier model (tiny-llama, which has a chat_template.jinja), its
        // checkpoints and log, and stale shards from some older save.
        string dir = Path.Combine(_root, "run");
        using (var old = ModelLoader.Load(Fixtures.Model("tiny-llama")))
            CheckpointWriter.Save(old, dir, Fixtures.Model("tiny-llama"));
        Directory.CreateDirectory(Path.Combine(dir, "checkpoint-000010"));
        File.WriteAllText(Path.Combine(dir, "checkpoint-000010", "trainer_state.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "trainer_log.jsonl"), "{}\n");
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), "{\"weight_map\": {}}");
        File.WriteAllText(Path.Combine(dir, "model-00001-of-00002.safetensors"), "stale");
        var kept = Snapshot(dir)
            .Where(kv => kv.Key.StartsWith("checkpoint-") || kv.Key == "trainer_log.jsonl")
            .ToList();

        using var model = ModelLoader.Load(Fixtures.Model("tiny-qwen2"));
        CheckpointWriter.Save(model, dir, Fixtures.Model("tiny-qwen2"));

        Assert.Equal(
            ExpectedFiles("tiny-qwen2").Append("trainer_log.jsonl").Order(StringComparer.Ordinal),
            FileNames(dir)
        );
        Assert.DoesNotContain("chat_template.jinja", FileNames(dir)); // would override qwen2's template
        var now = Snapshot(dir);
        Assert.All(kept, kv => Assert.Equal(kv.Value, now[kv.Key]));
        NothingElseIn("run");
        SameLogits(model, dir);
    }

    [Fact]
    public void SaveIntoItsOwnTokenizerFolderKeepsTheTokenizer()
    {
        // `train --train-tokenizer` writes the tokenizer into the output folder and saves the model beside it.
        string dir = Path.Combine(_root, "run");
        Directory.CreateDirectory(dir);
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(Fixtures.Model("tiny-qwen2"), f), Path.Combine(dir, f));
        var before = Snapshot(dir);
        using var model = ModelLoader.Load(Fixtures.Model("tiny-qwen2"));
        CheckpointWriter.Save(model, dir, dir);
        var after = Snapshot(dir);
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        Assert.Equal(Always.Concat(before.Keys).Order(StringComparer.Ordinal), FileNames(dir));
        NothingElseIn("run");
    }

    [Fact]
    public void SaveInterruptedWhileMovingFilesInLeavesNoLoadableMix()
    {
        // Into a folder that holds other things the files move in one by one. A move that fails part-way (here:
        // a directory squats on tokenizer.json) must leave a folder without config.json, which no loader takes
        // for a model, rather than the old config beside some new weights.
        string dir = Path.Combine(_root, "run");
        using (var old = ModelLoader.Load(Fixtures.Model("tiny-llama")))
            CheckpointWriter.Save(old, dir, tokenizerDir: null);
        Directory.CreateDirectory(Path.Combine(dir, "tokenizer.json", "squatter"));
        using (var stillLoads = ModelLoader.Load(dir)) { }

        using var model = ModelLoader.Load(Fixtures.Model("tiny-qwen2"));
        Assert.ThrowsAny<IOException>(() => CheckpointWriter.Save(model, dir, Fixtures.Model("tiny-qwen2")));
        Assert.False(File.Exists(Path.Combine(dir, "config.json")));
        Assert.ThrowsAny<Exception>(() => ModelLoader.Load(dir));
        NothingElseIn("run");

        // Once the obstacle is gone, the next save completes the folder.
        Directory.Delete(Path.Combine(dir, "tokenizer.json"), recursive: true);
        CheckpointWriter.Save(model, dir, Fixtures.Model("tiny-qwen2"));
        Assert.Equal(ExpectedFiles("tiny-qwen2"), FileNames(dir));
        SameLogits(model, dir);
    }

    public enum Failure
    {
        WhileWritingWeights,
        WhileCopyingTheTokenizer,
    }

    [Theory]
    [InlineData(Failure.WhileWritingWeights, false)]
    [InlineData(Failure.WhileWritingWeights, true)]
    [InlineData(Failure.WhileCopyingTheTokenizer, false)]
    [InlineData(Failure.WhileCopyingTheTokenizer, true)]
    public void FailedSaveLeavesNoHalfWrittenFolder(Failure failure, bool folderExists)
    {
        string dir = Path.Combine(_root, "run");
        if (folderExists)
        {
            using var old = ModelLoader.Load(Fixtures.Model("tiny-llama"));
            CheckpointWriter.Save(old, dir, Fixtures.Model("tiny-llama"));
            Directory.CreateDirectory(Path.Combine(dir, "checkpoint-000010"));
            File.WriteAllText(Path.Combine(dir, "checkpoint-000010", "trainer_state.json"), "{}");
        }
        var before = folderExists ? Snapshot(dir) : null;

        using var model = ModelLoader.Load(Fixtures.Model("tiny-qwen2"));
        string tokenizerDir = Fixtures.Model("tiny-qwen2");
        var ps = model.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var shape = ps["model.norm.weight"].shape;
        using var meta = new Parameter(empty(shape, device: new Device(DeviceType.META)), requires_grad: false);
        if (failure == Failure.WhileWritingWeights)
        {
            // A tensor with a shape but no data: the header and the tensors sorted before it ("model.norm.weight"
            // is the last name) are written, then copying its data to the CPU throws.
            ps["model.norm.weight"] = meta;
        }
        else
        {
            // The weights and config.json are written, then a tokenizer file cannot be read.
            tokenizerDir = Path.Combine(_root, "tokenizer");
            Directory.CreateDirectory(tokenizerDir);
            File.Copy(
                Path.Combine(Fixtures.Model("tiny-qwen2"), "tokenizer_config.json"),
                Path.Combine(tokenizerDir, "tokenizer_config.json")
            );
            File.CreateSymbolicLink(Path.Combine(tokenizerDir, "tokenizer.json"), Path.Combine(_root, "gone.json"));
        }
        // Shares the model's parameters; disposing both is harmless (a disposed tensor's second Dispose does nothing).
        using var broken = new CausalLM(model.Config, ps, model.DType);

        void Save() => CheckpointWriter.Save(broken, dir, tokenizerDir);
        if (failure == Failure.WhileWritingWeights)
            Assert.Contains(
                "meta tensor",
                Assert.Throws<System.Runtime.InteropServices.ExternalException>(Save).Message
            );
        else
            Assert.Throws<FileNotFoundException>(Save);

        if (folderExists)
            Assert.Equal(before, Snapshot(dir));
        else
            Assert.False(Directory.Exists(dir), "a failed save into a new folder must not create it");
        var beside = new List<string>();
        if (folderExists)
            beside.Add("run");
        if (failure == Failure.WhileCopyingTheTokenizer)
            beside.Add("tokenizer");
        NothingElseIn([.. beside]);
    }
}
