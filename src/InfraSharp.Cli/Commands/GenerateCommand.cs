using System.CommandLine;
using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using TorchSharp;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra generate</c>: completes each row's conversation (rendered with the generation prompt).</summary>
public static class GenerateCommand
{
    public static Command Build()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder", Required = true };
        var data = new Option<string>("--data")
        {
            Description = "Rows with 'messages' (a trailing assistant turn is dropped) or 'prompt' text",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "Output JSONL: each row plus completion_ids and completion",
            Required = true,
        };
        var maxNew = CliOptions.Int("--max-new-tokens", "Most new tokens per row", 256);
        var greedy = new Option<bool>("--greedy")
        {
            Description = "Greedy decoding (the default unless --temperature is given)",
        };
        var temp = CliOptions.OptionalDouble("--temperature", "Sampling temperature", 0, exclusiveMin: true);
        var topP = CliOptions.Double("--top-p", "Nucleus sampling mass", 1.0, 0, 1, exclusiveMin: true);
        var seed = CliOptions.Long("--seed", "Sampling seed", 0);
        var batch = CliOptions.Int("--batch-size", "Rows decoded together", 8);
        var bf16 = new Option<bool>("--bf16") { Description = "Same as --dtype bfloat16 (kept for earlier scripts)" };
        var (device, dtype) = (CliOptions.Device(), CliOptions.DType());
        var threads = CliOptions.Threads();
        var overwrite = CliOptions.Overwrite("Replace the output file if it exists");
        var cmd = new Command(
            "generate",
            "Generate completions with a KV cache: greedy, or temperature/top-p sampling with a seed."
        )
        {
            model,
            data,
            output,
            maxNew,
            greedy,
            temp,
            topP,
            seed,
            batch,
            bf16,
            device,
            dtype,
            threads,
            overwrite,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                if (p.GetValue(threads) is int t)
                    torch.set_num_threads(t);
                if (p.GetValue(greedy) && p.GetValue(temp) is not null)
                    throw InputError.Argument("--greedy and --temperature exclude each other");
                string dir = p.GetValue(model)!;
                OutputGuard.File(
                    p.GetValue(output)!,
                    "--out",
                    p.GetValue(overwrite),
                    RunInput.Of(("--model", dir), ("--data", p.GetValue(data)))
                );
                var computeType = p.GetValue(bf16) ? ComputeDType.BFloat16 : p.GetValue(dtype);
                using var loaded = LoadedModel.Load(dir, computeType, p.GetValue(device)!);
                var (tok, lm) = (loaded.Tokenizer, loaded.Model);
                var stops = TextGenerator.StopTokens(dir, lm.Config, tok.EosId);
                var opts = new GenerationOptions
                {
                    MaxNewTokens = p.GetValue(maxNew),
                    Greedy = p.GetValue(temp) is null,
                    Temperature = p.GetValue(temp) ?? 1.0,
                    TopP = p.GetValue(topP),
                    Seed = p.GetValue(seed),
                    StopTokenIds = stops,
                    PadTokenId = tok.PadId ?? lm.Config.PadTokenId ?? 0,
                };
                var rows = DatasetReader.Read(p.GetValue(data)!).ToList();
                var prompts = rows.Select(r => PromptBuilder.PromptIds(tok, r)).ToList();
                OutputFolder.ForFile(p.GetValue(output)!);
                var results = TextGenerator.GenerateBatched(lm, prompts, opts, p.GetValue(batch));
                var outRows = rows.Select(
                    (r, i) =>
                    {
                        var o = (JsonObject)r.Fields.DeepClone();
                        o["completion_ids"] = JsonlFile.Ints(results[i]);
                        o["completion"] = tok.Decode(results[i], skipSpecialTokens: true);
                        return o;
                    }
                );
                JsonlFile.Write(p.GetValue(output)!, outRows);
                return 0;
            })
        );
        return cmd;
    }
}
