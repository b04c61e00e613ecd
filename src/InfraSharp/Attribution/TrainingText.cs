using InfraSharp.Text;

namespace InfraSharp.Attribution;

/// <summary>
/// A training example's text as the model saw it: token ids, labels, character offsets, and its responses
/// (the labelled runs: assistant content plus the closing end token) split into steps. Every other token
/// (prompt, template) belongs to one leading "prompt" step, so that steps partition all positions.
/// </summary>
internal sealed class TrainingText
{
    public required EncodedExample Example { get; init; }
    public required string Text { get; init; }
    public required string[] TokenStrings { get; init; }

    /// <summary>Steps of all responses, with the token indices (label positions) each one owns.</summary>
    public required List<(StepSegmenter.Step Step, List<int> Tokens)> Steps { get; init; }

    /// <summary>Text of the pseudo-step that holds the prompt and template tokens.</summary>
    public const string PromptTag = "(prompt)";

    public static TrainingText Build(EncodedExample e, Tokenizer tok)
    {
        if (e.Text is null || e.Offsets is null)
            throw InputError.Argument(
                $"{e.SourceFile}:{e.Line}: example '{e.Id}' has no text (pre-tokenized rows can't be split into steps)"
            );
        var strings = e.InputIds.Select(id => tok.Decode([id])).ToArray();
        var steps = new List<(StepSegmenter.Step, List<int>)>();
        var prompt = Enumerable.Range(0, e.Length).Where(k => e.Labels[k] == EncodedExample.IgnoreIndex).ToList();
        steps.Add((new StepSegmenter.Step(0, 0, PromptTag, false), prompt));
        int j = 0;
        while (j < e.Length)
        {
            if (e.Labels[j] == EncodedExample.IgnoreIndex)
            {
                j++;
                continue;
            }
            int first = j;
            while (j < e.Length && e.Labels[j] != EncodedExample.IgnoreIndex)
                j++;
            int last = j - 1;
            // The run's content ends where its closing special token starts (if it has one).
            bool closes = tok.Bpe.IsSpecial(e.InputIds[last]);
            int cStart = e.Offsets[first].Start,
                cEnd = closes ? e.Offsets[last].Start : e.Offsets[last].End;
            var local = StepSegmenter.Split(e.Text[cStart..cEnd]);
            if (local.Count == 0)
                local = [new StepSegmenter.Step(0, cEnd - cStart, "", false)];
            var owned = local.Select(_ => new List<int>()).ToList();
            for (int k = first; k <= last; k++)
            {
                int at = e.Offsets[k].Start - cStart;
                int idx = local.FindLastIndex(s => s.Start <= at);
                owned[Math.Max(0, idx)].Add(k);
            }
            for (int s = 0; s < local.Count; s++)
            {
                var st = local[s];
                steps.Add((st with { Start = st.Start + cStart, End = st.End + cStart }, owned[s]));
            }
        }
        return new TrainingText
        {
            Example = e,
            Text = e.Text,
            TokenStrings = strings,
            Steps = steps,
        };
    }
}
