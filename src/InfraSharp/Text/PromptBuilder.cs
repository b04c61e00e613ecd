using System.Text.Json.Nodes;

namespace InfraSharp.Text;

/// <summary>The prompt a row asks a model to complete.</summary>
public static class PromptBuilder
{
    /// <summary>
    /// Chat rows: the conversation up to its last non-assistant turn, rendered with the generation prompt (so a
    /// training-style row with its reference answer can be used as a problem). Otherwise a <c>prompt</c> string.
    /// </summary>
    public static int[] PromptIds(Tokenizer tok, DataRow row)
    {
        if (row.Fields["messages"] is JsonArray)
        {
            var fields = (JsonObject)row.Fields.DeepClone();
            var msgs = fields["messages"]!.AsArray();
            while (msgs.Count > 0 && msgs[^1]?["role"]?.GetValue<string>() == "assistant")
                msgs.RemoveAt(msgs.Count - 1);
            fields["add_generation_prompt"] = true;
            fields.Remove("input_ids");
            return new ExampleEncoder(tok).Encode(row with { Fields = fields }).InputIds;
        }
        if (row.Fields["prompt"] is JsonValue pv && pv.TryGetValue<string>(out var prompt))
            return tok.Bpe.Encode(prompt);
        throw new DataRowException(row.File, row.Line, "a row to generate from needs 'messages' or a 'prompt' string");
    }
}
