using System.Text.RegularExpressions;

namespace InfraSharp.Attribution;

/// <summary>
/// Splits a response into reasoning steps: paragraphs and lines, then sentences; a fenced code block stays
/// whole. Steps tile the response: each runs from its first character to the next step's first character
/// (separating whitespace goes with the step before it), so token scores sum over steps without loss.
/// </summary>
internal static partial class StepSegmenter
{
    public sealed record Step(int Start, int End, string Text, bool IsCode);

    public static List<Step> Split(string text)
    {
        var starts = new List<(int Start, bool IsCode)>();
        int i = 0;
        foreach (Match fence in Fence().Matches(text))
        {
            AddProse(text, i, fence.Index, starts);
            starts.Add((fence.Index, true));
            i = fence.Index + fence.Length;
        }
        AddProse(text, i, text.Length, starts);
        var steps = new List<Step>();
        for (int k = 0; k < starts.Count; k++)
        {
            int s = starts[k].Start,
                e = k + 1 < starts.Count ? starts[k + 1].Start : text.Length;
            steps.Add(new Step(s, e, text[s..e].Trim(), starts[k].IsCode));
        }
        return steps;
    }

    private static void AddProse(string text, int from, int to, List<(int, bool)> starts)
    {
        if (to <= from)
            return;
        string part = text[from..to];
        foreach (Match m in Sentence().Matches(part))
            if (m.Value.Trim().Length > 0)
                starts.Add((from + m.Index + (m.Value.Length - m.Value.TrimStart().Length), false));
    }

    [GeneratedRegex(@"```.*?(?:```|$)", RegexOptions.Singleline)]
    private static partial Regex Fence();

    // A sentence: up to a line break, or up to . ! ? followed by space and a capital letter.
    [GeneratedRegex(@"[^\n]+?(?:[.!?](?=\s+[A-Z])|(?=\n)|$)|\n+", RegexOptions.Multiline)]
    private static partial Regex Sentence();
}
