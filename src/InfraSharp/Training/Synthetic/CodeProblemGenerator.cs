using System.Text;

namespace InfraSharp.Training.Synthetic;

/// <summary>
/// Python function-writing tasks in HumanEval's form. The level sets the structure of the solution: one
/// expression (1), one branch (2), a loop (3), a loop with a branch that builds or searches (4), nested
/// loops or several branches (5). Expected test values are computed here, independently of the Python
/// solution, so a wrong template would fail its own test.
/// </summary>
/// <remarks>
/// <paramref name="wide"/> adds parameter names, for the pool: the splits alone use up to two thirds of a level's
/// statements, so a pool 3x the training rows needs more of them; the splits' generator keeps its names (and so
/// its draws and bytes).
/// </remarks>
internal sealed class CodeProblemGenerator(Random rng, bool wide = false)
{
    private sealed record Task(
        string Name,
        string Params,
        string Statement,
        string Body,
        Func<object[], object> Eval,
        Func<object[]> Input,
        int Steps
    );

    public SyntheticProblem Generate(int level, bool explore)
    {
        var t = level switch
        {
            1 => Level1(),
            2 => Level2(),
            3 => Level3(),
            4 => Level4(),
            _ => Level5(),
        };
        string fname = t.Name;
        var sb = new StringBuilder();
        sb.Append($"I will write `{fname}` step by step.\n");
        var code = $"def {fname}({t.Params}):\n{t.Body}";
        var example = t.Input();
        if (explore && rng.Next(2) == 0)
            sb.Append(
                $"Wait, let me check with an example first: {fname}({Args(example)}) should return "
                    + $"{Py.Repr(t.Eval(example))}.\n"
            );
        sb.Append($"```python\n{code}```\n");
        if (explore && sb.ToString().IndexOf("Wait,", StringComparison.Ordinal) < 0)
            sb.Append(
                $"Alternatively, I can double-check by tracing {fname}({Args(example)}): it returns "
                    + $"{Py.Repr(t.Eval(example))}, as expected.\n"
            );
        sb.Append("This function solves the task.");
        var test = new StringBuilder("def check(candidate):\n");
        for (int i = 0; i < 4; i++)
        {
            var input = t.Input();
            test.Append($"    assert candidate({Args(input)}) == {Py.Repr(t.Eval(input))}\n");
        }
        return new SyntheticProblem(
            "code",
            level,
            t.Statement.Replace("{f}", $"`{fname}({t.Params})`"),
            sb.ToString(),
            explore,
            t.Steps,
            EntryPoint: fname,
            Test: test.ToString()
        );
    }

    private static string Args(object[] a) => string.Join(", ", a.Select(Py.Repr));

    private string Pick(params string[] xs) => xs[rng.Next(xs.Length)];

    private int R(int lo, int hi) => rng.Next(lo, hi + 1);

    private List<long> List(int maxLen, int lo, int hi) =>
        Enumerable.Range(0, R(0, maxLen)).Select(_ => (long)R(lo, hi)).ToList();

    private static long L(object o) => Convert.ToInt64(o);

    private static List<long> Xs(object o) => (List<long>)o;

    // Constants stay small (at most 30 in levels 1-3, 60 above): a model trained from scratch copies a constant digit
    // by digit, and the three-digit constants used before were miscopied so often that level 1 fell to 5%.
    // Variety comes from the parameter names instead: 300+ distinct statements per level, enough for a 100-problem
    // eval cell beside the training rows.
    private static readonly (string A, string B)[] Pairs = [("a", "b"), ("x", "y"), ("m", "n"), ("p", "q"), ("u", "v")];
    private static readonly string[] Scalars = ["n", "x", "k", "v", "m"];
    private static readonly string[] Lists = ["xs", "nums", "values", "items", "data"];
    private static readonly (string A, string B)[] WidePairs =
    [
        .. Pairs,
        ("c", "d"),
        ("i", "j"),
        ("r", "s"),
        ("w", "z"),
        ("left", "right"),
    ];
    private static readonly string[] WideScalars = [.. Scalars, "t", "y", "z", "w", "count"];
    private static readonly string[] WideLists = [.. Lists, "arr", "seq", "vals", "elems", "numbers"];

    private (string A, string B) PickPair() =>
        wide ? WidePairs[rng.Next(WidePairs.Length)] : Pairs[rng.Next(Pairs.Length)];

    private Task Level1()
    {
        int j = R(2, 9),
            k = R(1, 30);
        var (a, b) = PickPair();
        string ps = $"{a}, {b}";
        Func<object[]> small = () => [(long)R(-9, 9), (long)R(-9, 9)];
        return R(0, 2) switch
        {
            0 => new(
                "sum",
                ps,
                $"Write a Python function {{f}} that returns {j} times {a} plus {b} plus {k}.",
                $"    return {j} * {a} + {b} + {k}\n",
                x => j * L(x[0]) + L(x[1]) + k,
                small,
                1
            ),
            1 => new(
                "diff",
                ps,
                $"Write a Python function {{f}} that returns {a} minus {j} times {b} minus {k}.",
                $"    return {a} - {j} * {b} - {k}\n",
                x => L(x[0]) - j * L(x[1]) - k,
                small,
                1
            ),
            _ => new(
                "scaled",
                ps,
                $"Write a Python function {{f}} that returns the product of {a} and {b} times {k}, plus {j}.",
                $"    return {a} * {b} * {k} + {j}\n",
                x => L(x[0]) * L(x[1]) * k + j,
                small,
                1
            ),
        };
    }

    private Task Level2()
    {
        int k = wide ? R(1, 99) : R(1, 30);
        var (a, b) = PickPair();
        string n = Pick(wide ? WideScalars : Scalars);
        return R(0, 2) switch
        {
            0 => new(
                "larger",
                $"{a}, {b}",
                $"Write a Python function {{f}} that returns the larger of {a} and {b}, plus {k}.",
                $"    if {a} > {b}:\n        return {a} + {k}\n    return {b} + {k}\n",
                x => Math.Max(L(x[0]), L(x[1])) + k,
                () => [(long)R(-30, 30), (long)R(-30, 30)],
                2
            ),
            1 => new(
                "size",
                n,
                $"Write a Python function {{f}} that returns 'big' if {n} is greater than {k}, otherwise 'small'.",
                $"    if {n} > {k}:\n        return 'big'\n    return 'small'\n",
                x => L(x[0]) > k ? "big" : "small",
                () => [(long)R(k - 10, k + 10)],
                2
            ),
            _ => new(
                "parity",
                n,
                $"Write a Python function {{f}} that returns {n} times {k} if {n} is even, otherwise {n} plus {k}.",
                $"    if {n} % 2 == 0:\n        return {n} * {k}\n    return {n} + {k}\n",
                x => L(x[0]) % 2 == 0 ? L(x[0]) * k : L(x[0]) + k,
                () => [(long)R(0, 40)],
                2
            ),
        };
    }

    private Task Level3()
    {
        int k = wide ? R(1, 99) : R(1, 30);
        string xs = Pick(wide ? WideLists : Lists);
        return R(0, 2) switch
        {
            0 => new(
                "sum_above",
                xs,
                $"Write a Python function {{f}} that returns the sum of the numbers in the list {xs} that are greater "
                    + $"than {k}.",
                $"    total = 0\n    for x in {xs}:\n        if x > {k}:\n            total += x\n    return total\n",
                x => Xs(x[0]).Where(v => v > k).Sum(),
                () => [List(7, 0, 2 * k + 10)],
                3
            ),
            1 => new(
                "count_above",
                xs,
                $"Write a Python function {{f}} that returns how many numbers in the list {xs} are greater than {k}.",
                $"    count = 0\n    for x in {xs}:\n        if x > {k}:\n            count += 1\n    return count\n",
                x => (long)Xs(x[0]).Count(v => v > k),
                () => [List(8, 0, 2 * k + 10)],
                3
            ),
            _ => new(
                "shifted_sum",
                xs,
                $"Write a Python function {{f}} that adds {k} to every number in the list {xs} and returns the total.",
                $"    total = 0\n    for x in {xs}:\n        total += x + {k}\n    return total\n",
                x => Xs(x[0]).Sum(v => v + k),
                () => [List(6, -10, 20)],
                3
            ),
        };
    }

    private Task Level4()
    {
        int k = R(2, 20),
            m = R(2, 9),
            t = R(5, 60);
        string xs = Pick(wide ? WideLists : Lists);
        return R(0, 2) switch
        {
            0 => new(
                "scale_mult",
                xs,
                $"Write a Python function {{f}} that returns a new list with the numbers in {xs} that are divisible "
                    + $"by {k}, each multiplied by {m}.",
                $"    result = []\n    for x in {xs}:\n        if x % {k} == 0:\n            result.append(x * {m})\n"
                    + "    return result\n",
                x => Xs(x[0]).Where(v => v % k == 0).Select(v => v * m).ToList(),
                () => [List(8, 0, Math.Max(50, 3 * k))],
                4
            ),
            1 => new(
                "max_below",
                xs,
                $"Write a Python function {{f}} that returns the largest number in {xs} that is less than {t}, "
                    + "or -1 if there is none.",
                $"    best = -1\n    for x in {xs}:\n        if x < {t} and x > best:\n            best = x\n"
                    + "    return best\n",
                x => Xs(x[0]).Where(v => v < t).DefaultIfEmpty(-1).Max(),
                () => [List(7, 0, 2 * t + 10)],
                4
            ),
            _ => new(
                "squares_between",
                xs,
                $"Write a Python function {{f}} that returns a list of the squares of the numbers in {xs} that are "
                    + $"between {k} and {k * m} inclusive.",
                $"    result = []\n    for x in {xs}:\n        if x >= {k} and x <= {k * m}:\n"
                    + "            result.append(x * x)\n    return result\n",
                x => Xs(x[0]).Where(v => v >= k && v <= k * m).Select(v => v * v).ToList(),
                () => [List(8, 0, k * m + 10)],
                4
            ),
        };
    }

    private static readonly string[] Words = ["fizz", "buzz", "pop", "zap", "bing", "bong"];

    private Task Level5()
    {
        // Every template has 300+ variants, so that none runs out of distinct statements and the cell stays balanced.
        int a = R(2, 5),
            b = R(a + 1, 9),
            c = R(0, 60);
        string w1 = Pick(Words),
            w2 = Pick(Words.Where(w => w != w1).ToArray());
        string xs = Pick(wide ? WideLists : Lists);
        return R(0, 2) switch
        {
            0 => new(
                "pairs",
                xs,
                $"Write a Python function {{f}} that returns the number of index pairs i < j with {xs}[i] + {xs}[j] "
                    + $"greater than {c}.",
                $"    count = 0\n    for i in range(len({xs})):\n        for j in range(i + 1, len({xs})):\n"
                    + $"            if {xs}[i] + {xs}[j] > {c}:\n                count += 1\n    return count\n",
                x =>
                {
                    var v = Xs(x[0]);
                    long n = 0;
                    for (int i = 0; i < v.Count; i++)
                    for (int j = i + 1; j < v.Count; j++)
                        if (v[i] + v[j] > c)
                            n++;
                    return n;
                },
                () => [List(8, 0, c + 5)],
                5
            ),
            1 => new(
                "labels",
                "n",
                $"Write a Python function {{f}} that returns a list of strings for the numbers 1 to n: '{w1}' for "
                    + $"multiples of {a}, '{w2}' for multiples of {b}, '{w1}{w2}' for multiples of both, and the "
                    + $"number "
                    + "itself as a string otherwise.",
                $"    result = []\n    for i in range(1, n + 1):\n        if i % {a} == 0 and i % {b} == 0:\n"
                    + $"            result.append('{w1}{w2}')\n"
                    + $"        elif i % {a} == 0:\n            result.append('{w1}')\n"
                    + $"        elif i % {b} == 0:\n            result.append('{w2}')\n"
                    + "        else:\n            result.append(str(i))\n    return result\n",
                x =>
                    Enumerable
                        .Range(1, (int)L(x[0]))
                        .Select(i =>
                            i % a == 0 && i % b == 0 ? w1 + w2
                            : i % a == 0 ? w1
                            : i % b == 0 ? w2
                            : i.ToString()
                        )
                        .ToList(),
                () => [(long)R(0, 16)],
                5
            ),
            _ => new(
                "longest_run",
                xs,
                $"Write a Python function {{f}} that returns the length of the longest run of consecutive numbers "
                    + $"in {xs} that are all greater than {c}.",
                $"    best = 0\n    run = 0\n    for x in {xs}:\n        if x > {c}:\n            run += 1\n"
                    + "            if run > best:\n                best = run\n        else:\n            run = 0\n"
                    + "    return best\n",
                x =>
                {
                    long best = 0,
                        run = 0;
                    foreach (var v in Xs(x[0]))
                    {
                        if (v > c)
                        {
                            run++;
                            best = Math.Max(best, run);
                        }
                        else
                            run = 0;
                    }
                    return best;
                },
                () => [List(10, 0, 2 * c + 2)],
                5
            ),
        };
    }
}

/// <summary>Python literals for test asserts.</summary>
internal static class Py
{
    public static string Repr(object o) =>
        o switch
        {
            string s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'",
            bool b => b ? "True" : "False",
            List<long> l => "[" + string.Join(", ", l) + "]",
            List<string> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
            _ => Convert.ToString(o, System.Globalization.CultureInfo.InvariantCulture)!,
        };
}
