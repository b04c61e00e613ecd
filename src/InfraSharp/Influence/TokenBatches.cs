using InfraSharp.Text;

namespace InfraSharp.Influence;

/// <summary>Consecutive examples grouped so that a padded batch stays within a token budget.</summary>
public static class TokenBatches
{
    public static IEnumerable<(int Start, int Count)> Plan(IReadOnlyList<EncodedExample> examples, int start, int end, int tokenBudget)
    {
        int i = start;
        while (i < end)
        {
            int longest = examples[i].Length, n = 1;
            while (i + n < end)
            {
                int l = Math.Max(longest, examples[i + n].Length);
                if (l * (n + 1) > tokenBudget) break;
                longest = l; n++;
            }
            yield return (i, n);
            i += n;
        }
    }
}
