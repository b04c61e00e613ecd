using System.CommandLine;
using System.Text.Json.Nodes;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra encode</c>: each row with input_ids and labels added (and the rendered text for chat
/// rows).</summary>
public static class EncodeCommand
{
    public static Command Build()
    {
        var model = new Option<string>("--model")
        {
            Description = "Model or tokenizer folder (tokenizer.json, tokenizer_config.json, chat template)",
            Required = true,
        };
        var data = new Option<string>("--data") { Description = "Input rows (JSONL or Parquet)", Required = true };
        var output = new Option<string>("--out") { Description = "Output JSONL", Required = true };
        var special = new Option<bool>("--add-special-tokens")
        {
            Description = "Text rows: add the tokenizer's special tokens, as tokenizer(text) does",
        };
        var all = new Option<bool>("--label-all") { Description = "Loss on every token, not only assistant content" };
        var skip = new Option<bool>("--skip-bad-rows")
        {
            Description = "Skip malformed rows (reported) instead of stopping",
        };
        var maxLen = new Option<int?>("--max-length") { Description = "Refuse rows longer than this many tokens" };
        maxLen.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is int v && v < 1)
                r.AddError($"--max-length must be at least 1 (got {v})");
        });
        var overwrite = CliOptions.Overwrite("Replace the output file if it exists");
        var cmd = new Command(
            "encode",
            "Tokenize rows exactly as transformers does: input_ids, labels, rendered chat text."
        )
        {
            model,
            data,
            output,
            special,
            all,
            skip,
            maxLen,
            overwrite,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                OutputGuard.File(
                    p.GetValue(output)!,
                    "--out",
                    p.GetValue(overwrite),
                    RunInput.Of(("--model", p.GetValue(model)), ("--data", p.GetValue(data)))
                );
                var tok = Tokenizer.Load(p.GetValue(model)!);
                var enc = new ExampleEncoder(
                    tok,
                    new EncodeOptions
                    {
                        AddSpecialTokens = p.GetValue(special),
                        LabelAllTokens = p.GetValue(all),
                        SkipBadRows = p.GetValue(skip),
                        MaxLength = p.GetValue(maxLen),
                    }
                );
                string path = p.GetValue(data)!;
                var rows = new List<JsonObject>();
                foreach (var row in DatasetReader.Read(path, lenient: enc.Options.SkipBadRows))
                {
                    EncodedExample ex;
                    try
                    {
                        ex = enc.Encode(row);
                    }
                    catch (DataRowException e) when (enc.Options.SkipBadRows)
                    {
                        enc.Skipped.Add(e);
                        continue;
                    }
                    var o = (JsonObject)row.Fields.DeepClone();
                    o["input_ids"] = JsonlFile.Ints(ex.InputIds);
                    o["labels"] = JsonlFile.Ints(ex.Labels);
                    if (row.Fields.ContainsKey("messages") && !row.Fields.ContainsKey("input_ids"))
                        o["text"] = ex.Text;
                    rows.Add(o);
                }
                OutputFolder.ForFile(p.GetValue(output)!);
                JsonlFile.Write(p.GetValue(output)!, rows);
                Console.Error.WriteLine($"encoded {rows.Count} rows -> {p.GetValue(output)}");
                if (enc.Skipped.Count > 0)
                {
                    Console.Error.WriteLine($"skipped {enc.Skipped.Count} bad rows:");
                    foreach (var s in enc.Skipped)
                        Console.Error.WriteLine($"  {s.Message}");
                }
                return 0;
            })
        );
        return cmd;
    }
}
