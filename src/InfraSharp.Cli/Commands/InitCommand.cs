using System.CommandLine;
using InfraSharp.Models;
using InfraSharp.Storage;

namespace InfraSharp.Cli.Commands;

/// <summary>
/// <c>infra init --shape qwen2.5-0.5b --out M --seed S</c>: a randomly initialised Hugging Face checkpoint of a
/// released model's exact shape (bf16 safetensors, config.json, the real Qwen2.5 tokenizer), for benchmarks and
/// for trying the pipeline at real size without downloading weights.
/// </summary>
public static class InitCommand
{
    public static Command Build()
    {
        var shape = CliOptions.Choice("--shape", "Architecture to build", "qwen2.5-0.5b", KnownShapes.Names);
        var output = CliOptions.Path("--out", "Model folder to write");
        var seed = CliOptions.Long("--seed", "Seed of the random weights", 0);
        var dtype = CliOptions.Enum("--dtype", "Dtype of the stored weights", ComputeDType.BFloat16);
        var tokenizer = CliOptions.OptionalPath(
            "--tokenizer",
            "Folder with tokenizer.json and tokenizer_config.json " + "(default: the built-in Qwen2.5 tokenizer)"
        );
        var overwrite = CliOptions.Overwrite();
        var cmd = new Command(
            "init",
            "Write a randomly initialised checkpoint of a released model's shape (bf16, with tokenizer)."
        )
        {
            shape,
            output,
            seed,
            dtype,
            tokenizer,
            overwrite,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                string outDir = p.GetValue(output)!;
                var config = KnownShapes.Get(p.GetValue(shape)!);
                string? given = p.GetValue(tokenizer);
                // A folder of its own, like every run's: new, empty, or an earlier init (then --overwrite replaces it).
                var manifest = new RunManifest(
                    "init",
                    new System.Text.Json.Nodes.JsonObject
                    {
                        ["shape"] = p.GetValue(shape),
                        ["seed"] = p.GetValue(seed),
                        ["dtype"] = p.GetValue(dtype).ToString(),
                        ["tokenizer"] = given is null ? "built-in qwen2.5" : Path.GetFullPath(given),
                    },
                    new System.Text.Json.Nodes.JsonObject(),
                    new System.Text.Json.Nodes.JsonObject()
                )
                {
                    Owns = Training.TrainingFolder.OwnedFiles,
                };
                if (RunManifest.Claim(outDir, manifest.Kind) is not null && !p.GetValue(overwrite))
                    throw InputError.Argument(
                        $"--out {outDir} already holds a model; use another folder, or --overwrite"
                    );
                manifest.Prepare(outDir, overwrite: true, RunInput.Of(("--tokenizer", given)));
                string tokDir = given ?? BuiltInTokenizer();
                try
                {
                    if (given is not null)
                        LoadedModel.RequireFolder(given, "--tokenizer");
                    long parameters = config.ParameterShapes().Sum(s => s.Shape.Aggregate(1L, (a, b) => a * b));
                    CliProgress.Line($"initialising {p.GetValue(shape)} ({parameters / 1e6:F0}M parameters)");
                    using var model = CausalLM.Initialize(config, p.GetValue(seed), p.GetValue(dtype).ToScalarType());
                    CheckpointWriter.Save(model, outDir, tokDir, bf16: p.GetValue(dtype) == ComputeDType.BFloat16);
                    Console.Error.WriteLine($"wrote {outDir}");
                }
                finally
                {
                    if (given is null)
                        Directory.Delete(tokDir, recursive: true);
                }
                return 0;
            })
        );
        return cmd;
    }

    /// <summary>The embedded Qwen2.5 tokenizer files, written to a fresh temporary folder.</summary>
    private static string BuiltInTokenizer()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"infra-qwen2_5-tokenizer-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var asm = typeof(InitCommand).Assembly;
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith("qwen2_5/")))
        {
            using var from = asm.GetManifestResourceStream(name)!;
            using var to = File.Create(Path.Combine(dir, name["qwen2_5/".Length..]));
            from.CopyTo(to);
        }
        return dir;
    }
}
