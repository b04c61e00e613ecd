using InfraSharp.Evaluation;

namespace InfraSharp.Tests.Evaluation;

public class MathAnswerTests
{
    [Fact]
    public void Gsm8kGoldAnswersExtractToTheNumberAfterHashes()
    {
        int n = 0;
        foreach (var row in Fixtures.Jsonl(Path.Combine(Fixtures.Shared, "datasets", "gsm8k", "test.jsonl")))
        {
            string answer = row["answer"]!.GetValue<string>();
            string gold = answer[(answer.LastIndexOf("####", StringComparison.Ordinal) + 4)..].Trim();
            var ex = MathAnswer.Extract(answer);
            Assert.Equal("####", ex.Method);
            Assert.True(MathAnswer.Equivalent(ex.Answer, gold), $"{ex.Answer} vs {gold}");
            Assert.Equal(MathAnswer.Normalize(gold), MathAnswer.Normalize(ex.Answer!));
            n++;
        }
        Assert.Equal(1319, n);
    }

    [Theory]
    [InlineData("so the total is 12. \\boxed{42}", "42", "boxed")]
    [InlineData("We get \\boxed{\\frac{1}{2}} in the end", "\\frac{1}{2}", "boxed")]
    [InlineData("Step 1... The answer is 1,234.", "1,234", "answer-is")]
    [InlineData("The final answer is $18$.", "18", "answer-is")]
    [InlineData("He has 3 apples and then 5 more, 8 in all", "8", "last-number")]
    [InlineData("no digits here", null, "none")]
    [InlineData("\\boxed{\\text{(A)} \\{x\\}}", "\\text{(A)} \\{x\\}", "boxed")]
    public void Extraction(string text, string? expected, string method)
    {
        var ex = MathAnswer.Extract(text);
        Assert.Equal(method, ex.Method);
        Assert.Equal(expected, ex.Answer);
    }

    [Theory]
    [InlineData("\\frac{1}{2}", "0.5", true)]
    [InlineData("\\dfrac{3}{4}", "3/4", true)]
    [InlineData("1,000,000", "1000000", true)]
    [InlineData("18 dollars", "18", true)]
    [InlineData("90^\\circ", "90", true)]
    [InlineData("50\\%", "50", true)]
    [InlineData("$5.00", "5", true)]
    [InlineData("\\text{12 cm}", "12", true)]
    [InlineData("-3", "-3.0", true)]
    [InlineData("2/4", "1/2", true)]
    [InlineData("17", "71", false)]
    [InlineData("0.333", "1/3", false)]
    [InlineData("x+1", "x + 1", true)]
    public void Equivalence(string a, string b, bool same) => Assert.Equal(same, MathAnswer.Equivalent(a, b));

    [Fact]
    public void UnbiasedPassAtK()
    {
        Assert.Equal(0.5, PassAtK.Estimate(10, 5, 1), 12);
        Assert.Equal(1.0, PassAtK.Estimate(10, 9, 2), 12);
        // 1 - C(5,2)/C(10,2) = 1 - 10/45
        Assert.Equal(1 - 10.0 / 45, PassAtK.Estimate(10, 5, 2), 12);
        Assert.Equal(0.0, PassAtK.Estimate(4, 0, 3), 12);
    }
}
