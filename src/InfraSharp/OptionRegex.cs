using System.Text.RegularExpressions;

namespace InfraSharp;

/// <summary>
/// A regular expression the user gave in an option (<c>--modules</c>, <c>--projection-dim</c>): a pattern that does
/// not parse is bad input naming the option, not a RegexParseException with a stack trace.
/// </summary>
internal static class OptionRegex
{
    public static Regex Parse(string option, string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw InputError.Argument($"{option} '{pattern}': not a valid regular expression ({e.Message})");
        }
    }
}
