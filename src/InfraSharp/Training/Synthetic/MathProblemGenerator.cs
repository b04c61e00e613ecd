using System.Text;

namespace InfraSharp.Training.Synthetic;

/// <summary>
/// Multi-step arithmetic word problems. The level sets the work: level L has L operations, and harder levels mix
/// in multiplication and halving. Every running total stays within 0-50, and operands shrink as the steps grow (up
/// to 7, 6, 5, 4, 3): a small model trained from scratch mostly fails by miscopying an operand, so with operands
/// up to 9 at level 5 it was near 5% there while level 1 with operands up to 5 was at 95%. Levels differ in how
/// many steps must all be right, so the model is neither perfect at level 1 nor hopeless at level 5. The solution walks
/// every step, optionally re-checks one ("Wait, let me check ...") or re-derives it another way
/// ("Alternatively, ..."), and ends with <c>\boxed{answer}</c>.
/// </summary>
internal sealed class MathProblemGenerator(Random rng)
{
    private static readonly string[] Names =
    [
        "Ava",
        "Ben",
        "Cora",
        "Dev",
        "Eli",
        "Fay",
        "Gus",
        "Hana",
        "Ivo",
        "Jun",
        "Kai",
        "Lea",
        "Max",
        "Nia",
        "Omar",
        "Pia",
        "Quin",
        "Rosa",
        "Sam",
        "Tess",
    ];
    private static readonly string[] Items =
    [
        "apples",
        "coins",
        "books",
        "marbles",
        "stamps",
        "shells",
        "pencils",
        "cards",
        "beads",
        "plums",
    ];
    private static readonly int[] MaxOperand = [0, 7, 6, 5, 4, 3];
    private const long MaxValue = 50;

    public SyntheticProblem Generate(int level, bool explore)
    {
        string name = Names[rng.Next(Names.Length)],
            item = Items[rng.Next(Items.Length)];
        int max = MaxOperand[level];
        long value = rng.Next(2, max + 1);
        var q = new StringBuilder($"{name} has {value} {item}.");
        var s = new StringBuilder($"Let's work it out step by step.\n{name} starts with {value} {item}.\n");
        var steps = new List<(long Before, string Op, long Operand, long After)>();
        for (int i = 0; i < level; i++)
        {
            int kind = rng.Next(level >= 3 ? 4 : 2);
            long before = value;
            // Steps that would leave 0-50 are replaced: a full total gives away, an empty one gets more.
            if (kind == 2 && value * 2 > MaxValue)
                kind = 1;
            if (kind == 0 && value >= MaxValue || kind == 3 && value % 2 == 1 && value >= MaxValue)
                kind = 1;
            switch (kind)
            {
                case 0:
                {
                    long n = rng.Next(1, (int)Math.Min(max, MaxValue - value) + 1);
                    value += n;
                    q.Append($" Then {name} gets {n} more.");
                    s.Append($"Getting {n} more gives {before} + {n} = {value} {item}.\n");
                    steps.Add((before, "+", n, value));
                    break;
                }
                case 1 when value > 1:
                {
                    long n = rng.Next(1, (int)Math.Min(value, max + 1));
                    value -= n;
                    q.Append($" Then {name} gives away {n}.");
                    s.Append($"Giving away {n} leaves {before} - {n} = {value} {item}.\n");
                    steps.Add((before, "-", n, value));
                    break;
                }
                case 2:
                {
                    long n = rng.Next(2, (int)Math.Min(3, MaxValue / value) + 1);
                    value *= n;
                    q.Append($" Then the number of {item} is multiplied by {n}.");
                    s.Append($"Multiplying by {n} gives {before} * {n} = {value} {item}.\n");
                    steps.Add((before, "*", n, value));
                    break;
                }
                case 3 when value % 2 == 0:
                {
                    value /= 2;
                    q.Append($" Then {name} gives half of them to a friend.");
                    s.Append($"Half of {before} is {before} / 2 = {value}, so {value} {item} are left.\n");
                    steps.Add((before, "/", 2, value));
                    break;
                }
                default:
                {
                    long n = rng.Next(1, (int)Math.Min(max, MaxValue - value) + 1);
                    value += n;
                    q.Append($" Then {name} finds {n} more.");
                    s.Append($"Finding {n} more gives {before} + {n} = {value} {item}.\n");
                    steps.Add((before, "+", n, value));
                    break;
                }
            }
        }
        q.Append($" How many {item} does {name} have now?");
        if (explore)
        {
            var st = steps[rng.Next(steps.Count)];
            if (rng.Next(2) == 0)
                s.Append(
                    $"Wait, let me check that step again: {st.Before} {st.Op} {st.Operand} = {st.After}. Yes, that "
                        + $"is right.\n"
                );
            else
                s.Append(Inverse(st));
        }
        s.Append($"So {name} has {value} {item} now.\nThe answer is \\boxed{{{value}}}.");
        return new SyntheticProblem(
            "math",
            level,
            q.ToString(),
            s.ToString(),
            explore,
            steps.Count,
            Answer: value.ToString()
        );
    }

    /// <summary>Re-derives a step by its inverse operation: a different path to the same number.</summary>
    private static string Inverse((long Before, string Op, long Operand, long After) st) =>
        st.Op switch
        {
            "+" => $"Alternatively, going backwards: {st.After} - {st.Operand} = {st.Before}, which matches.\n",
            "-" => $"Alternatively, going backwards: {st.After} + {st.Operand} = {st.Before}, which matches.\n",
            "*" => $"Alternatively, going backwards: {st.After} / {st.Operand} = {st.Before}, which matches.\n",
            _ => $"Alternatively, going backwards: {st.After} * 2 = {st.Before}, which matches.\n",
        };
}
