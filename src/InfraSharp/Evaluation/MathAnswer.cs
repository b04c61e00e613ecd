using System.Numerics;
using System.Text.RegularExpressions;

namespace InfraSharp.Evaluation;

/// <summary>
/// Final-answer extraction and equivalence for math. Extraction, in order of trust: the last
/// <c>\boxed{...}</c>, GSM8K's <c>#### x</c>, "the answer is x", then the last number in the text.
/// Equivalence: both sides normalised (commas, units, <c>\frac</c>, <c>^\circ</c>, <c>\%</c>, ...) and compared
/// as exact rationals when both parse as numbers, else as normalised strings.
/// </summary>
internal static partial class MathAnswer
{
    public sealed record Extraction(string? Answer, string Method);

    public static Extraction Extract(string text)
    {
        var boxed = LastBoxed(text);
        if (boxed is not null)
            return new(boxed, "boxed");
        var hash = HashAnswer().Matches(text);
        if (hash.Count > 0)
            return new(hash[^1].Groups[1].Value.Trim(), "####");
        var said = AnswerIs().Matches(text);
        if (said.Count > 0)
            return new(said[^1].Groups[1].Value.Trim().TrimEnd('.'), "answer-is");
        var nums = Number().Matches(text);
        if (nums.Count > 0)
            return new(nums[^1].Value, "last-number");
        return new(null, "none");
    }

    /// <summary>Content of the last <c>\boxed{...}</c> (or <c>\fbox{...}</c>), braces balanced.</summary>
    public static string? LastBoxed(string text)
    {
        int at = Math.Max(
            text.LastIndexOf("\\boxed", StringComparison.Ordinal),
            text.LastIndexOf("\\fbox", StringComparison.Ordinal)
        );
        if (at < 0)
            return null;
        int open = text.IndexOf('{', at);
        if (open < 0)
            return null;
        int depth = 0;
        for (int i = open; i < text.Length; i++)
        {
            if (text[i] == '{')
                depth++;
            else if (text[i] == '}' && --depth == 0)
                return text[(open + 1)..i].Trim();
        }
        return null;
    }

    public static string Normalize(string s)
    {
        s = s.Trim();
        s = s.Replace("\\!", "").Replace("\\,", "").Replace("\\;", "").Replace("\\ ", "");
        s = s.Replace("\\left", "").Replace("\\right", "").Replace("\\displaystyle", "");
        s = s.Replace("^\\circ", "").Replace("^{\\circ}", "").Replace("°", "");
        s = s.Replace("\\%", "").Replace("%", "").Replace("\\$", "").Replace("$", "");
        s = TextCommand().Replace(s, "$1");
        s = Frac().Replace(s, "($1)/($2)");
        s = ShortFrac().Replace(s, "$1/$2");
        s = s.Replace("{", "").Replace("}", "");
        // Trailing units or words after a number ("18 dollars", "5 cm").
        var m = LeadingNumberWithUnits().Match(s);
        if (m.Success)
            s = m.Groups[1].Value;
        s = ThousandsComma().Replace(s, "");
        s = s.Replace(" ", "").TrimEnd('.');
        s = ParensAroundAtom().Replace(s, "$1");
        return s;
    }

    /// <summary>Exact rational value of an integer, decimal or fraction string, or null.</summary>
    public static (BigInteger Num, BigInteger Den)? ToRational(string s)
    {
        s = s.Trim();
        int slash = s.IndexOf('/');
        if (slash > 0)
        {
            var a = ToRational(s[..slash]);
            var b = ToRational(s[(slash + 1)..]);
            if (a is null || b is null || b.Value.Num.IsZero)
                return null;
            return Reduce(a.Value.Num * b.Value.Den, a.Value.Den * b.Value.Num);
        }
        var m = Decimal().Match(s);
        if (!m.Success)
            return null;
        bool neg = m.Groups[1].Value == "-";
        string ip = m.Groups[2].Value,
            fp = m.Groups[3].Value;
        var num = BigInteger.Parse((ip.Length == 0 ? "0" : ip) + fp);
        var den = BigInteger.Pow(10, fp.Length);
        return Reduce(neg ? -num : num, den);
    }

    private static (BigInteger, BigInteger) Reduce(BigInteger n, BigInteger d)
    {
        if (d.Sign < 0)
        {
            n = -n;
            d = -d;
        }
        var g = BigInteger.GreatestCommonDivisor(n, d);
        return g.IsZero ? (n, d) : (n / g, d / g);
    }

    public static bool Equivalent(string? predicted, string? reference)
    {
        if (predicted is null || reference is null)
            return false;
        string a = Normalize(predicted),
            b = Normalize(reference);
        if (a == b && a.Length > 0)
            return true;
        var ra = ToRational(a);
        var rb = ToRational(b);
        return ra is not null && rb is not null && ra.Value == rb.Value;
    }

    [GeneratedRegex(@"####\s*([^\n]+)")]
    private static partial Regex HashAnswer();

    [GeneratedRegex(@"[Tt]he (?:final )?answer is[:\s]*\$?([^\n]+?)\$?(?:\.\s|\.?$|\n)", RegexOptions.Multiline)]
    private static partial Regex AnswerIs();

    [GeneratedRegex(@"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?")]
    private static partial Regex Number();

    [GeneratedRegex(@"\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}")]
    private static partial Regex TextCommand();

    [GeneratedRegex(@"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")]
    private static partial Regex Frac();

    [GeneratedRegex(@"\\[dt]?frac(\d)(\d)")]
    private static partial Regex ShortFrac();

    [GeneratedRegex(@"^(-?[\d,]*\.?\d+(?:/\d+)?)\s*[A-Za-z][A-Za-z\s\.]*$")]
    private static partial Regex LeadingNumberWithUnits();

    [GeneratedRegex(@"(?<=\d),(?=\d{3}(?!\d))")]
    private static partial Regex ThousandsComma();

    [GeneratedRegex(@"\((-?[\d\.]+)\)")]
    private static partial Regex ParensAroundAtom();

    [GeneratedRegex(@"^([+-]?)(\d*)(?:\.(\d*))?$")]
    private static partial Regex Decimal();
}
