using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace InfraSharp.Index;

/// <summary>
/// A condition on a training row's attribute, as <c>--filter</c> takes it: <c>key=value</c> (<c>domain=math</c>),
/// key and value trimmed. Written to manifests as that text.
/// </summary>
[JsonConverter(typeof(ParsableJsonConverter<RowFilter>))]
public readonly record struct RowFilter(string Key, string Value) : IParsable<RowFilter>
{
    /// <summary>The filter of <c>key=value</c>; text without a key before <c>=</c> is a bad argument.</summary>
    public static RowFilter Parse(string text, IFormatProvider? provider = null)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0)
            throw InputError.Argument($"--filter {text}: expected key=value (for example domain=math)");
        return new RowFilter(text[..eq].Trim(), text[(eq + 1)..].Trim());
    }

    /// <summary>Parses like <see cref="Parse"/>, returning false when there is no key before <c>=</c>.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, IFormatProvider? provider, out RowFilter result)
    {
        int eq = text?.IndexOf('=') ?? -1;
        result = eq > 0 ? new RowFilter(text![..eq].Trim(), text[(eq + 1)..].Trim()) : default;
        return eq > 0;
    }

    /// <summary>The filter as <c>key=value</c>.</summary>
    public override string ToString() => $"{Key}={Value}";
}
