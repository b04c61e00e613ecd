using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace InfraSharp.Curation;

/// <summary>
/// Which way flip-difficulty moves each domain's mass, as <c>--flip</c> takes it: <c>domain:up</c> (towards hard
/// levels), <c>domain:down</c> or <c>domain:keep</c>, comma-separated (<c>math:up,code:down</c>, the Infra rule);
/// a domain not named is kept. The text is kept as given, as manifests write it.
/// </summary>
[JsonConverter(typeof(ParsableJsonConverter<DifficultyFlip>))]
public readonly record struct DifficultyFlip : IParsable<DifficultyFlip>
{
    private const string InfraRule = "math:up,code:down";
    private readonly string? _text;

    private DifficultyFlip(string text) => _text = text;

    /// <summary>The Infra paper's rule (also <c>default</c>).</summary>
    public static DifficultyFlip Infra { get; } = new(InfraRule);

    /// <summary>The rule as given (e.g. <c>math:up,code:down</c>).</summary>
    public string Text => _text ?? InfraRule;

    /// <summary>Domain → <c>up</c>, <c>down</c> or <c>keep</c>.</summary>
    public IReadOnlyDictionary<string, string> Directions => Map(Text);

    private static Dictionary<string, string> Map(string spec)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split(':');
            if (kv.Length != 2 || kv[1] is not ("up" or "down" or "keep"))
                throw InputError.Argument($"--flip '{spec}': each entry is domain:up, domain:down or domain:keep");
            map[kv[0]] = kv[1];
        }
        return map;
    }

    /// <summary>
    /// The rule of <paramref name="text"/>; an entry other than <c>domain:up|down|keep</c> is a bad argument.
    /// </summary>
    public static DifficultyFlip Parse(string text, IFormatProvider? provider = null)
    {
        _ = Map(text);
        return new DifficultyFlip(text);
    }

    /// <summary>Parses like <see cref="Parse"/>, returning false instead of throwing on a bad rule.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, IFormatProvider? provider, out DifficultyFlip result)
    {
        result = default;
        if (text is null)
            return false;
        try
        {
            result = Parse(text);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public bool Equals(DifficultyFlip other) => Text == other.Text;

    /// <inheritdoc/>
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    /// <summary>The rule as given (<see cref="Text"/>).</summary>
    public override string ToString() => Text;
}
