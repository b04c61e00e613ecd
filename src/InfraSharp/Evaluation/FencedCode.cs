using System.Text.RegularExpressions;

namespace InfraSharp.Evaluation;

/// <summary>Finds the code of a Markdown fenced block (```python ... ```), preferring a python-tagged one.</summary>
internal static partial class FencedCode
{
    public static string? Extract(string text)
    {
        var blocks = Block().Matches(text);
        if (blocks.Count == 0)
            return null;
        var py = blocks.FirstOrDefault(b =>
            b.Groups[1].Value.Trim().ToLowerInvariant() is "python" or "py" or "python3"
        );
        return (py ?? blocks[0]).Groups[2].Value;
    }

    [GeneratedRegex(@"```([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|$)", RegexOptions.Singleline)]
    private static partial Regex Block();
}
