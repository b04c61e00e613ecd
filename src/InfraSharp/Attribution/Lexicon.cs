using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace InfraSharp.Attribution;

/// <summary>
/// Words and patterns that tag reasoning steps and categorise tokens. Configurable with a JSON file of the
/// same shape as <see cref="Default"/>: <c>{"step_tags": {tag: [phrases]}, "token_categories": {category:
/// [tokens]}}</c>.
/// Step tags are tried in file order (first match wins; a fenced code block is always <c>code</c>);
/// phrases match case-insensitively at word boundaries.
/// </summary>
public sealed class Lexicon
{
    /// <summary>Step tags with their phrase patterns, in the order they are tried (first match wins).</summary>
    public IReadOnlyList<(string Tag, Regex Pattern)> StepTags { get; }

    /// <summary>
    /// Token categories with their token sets (lower-case keys; <c>&lt;digit&gt;</c> matches all-digit tokens).
    /// </summary>
    public IReadOnlyList<(string Category, HashSet<string> Tokens)> TokenCategories { get; }

    /// <summary>The built-in lexicon, in the JSON shape a lexicon file has.</summary>
    public const string Default = """
        {
          "step_tags": {
            "exploration": ["wait", "alternatively", "let me check", "let me re-check", "double-check",
              "double check", "verify", "hmm", "check", "going backwards", "which matches", "as expected"],
            "conclusion": ["the answer is", "\\boxed", "so the answer", "therefore", "this function solves", "in total",
                           "now."],
            "computation": ["=", "+", "*", " / ", " - "],
            "setup": ["let's", "step by step", "i will write", "starts with"]
          },
          "token_categories": {
            "logic": ["therefore", "so", "because", "thus", "wait", "then", "since", "hence", "alternatively",
              "but", "if", "check", "yes", "let"],
            "syntax": ["def", "return", ":", "(", ")", "[", "]", "(x", "):", "for", "in", "if", "elif", "else",
              "while", "=", "==", "+=", "<indent>", "<newline>", "```", "python"],
            "number": ["<digit>"]
          }
        }
        """;

    private Lexicon(List<(string, Regex)> tags, List<(string, HashSet<string>)> cats)
    {
        StepTags = tags;
        TokenCategories = cats;
    }

    /// <summary>The lexicon of the JSON file at <paramref name="path"/>, or <see cref="Default"/> when null.</summary>
    public static Lexicon Load(string? path)
    {
        if (path is not null && Directory.Exists(path))
            throw InputError.Argument($"--lexicon {path}: a folder, not a lexicon JSON file");
        if (path is not null && !File.Exists(path))
            throw InputError.MissingFile($"--lexicon {path}: no such file", path);
        string json = path is null ? Default : File.ReadAllText(path);
        JsonObject o;
        try
        {
            o = JsonNode.Parse(json) as JsonObject ?? throw InputError.Data($"{path}: a lexicon is a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw InputError.Data($"{path}: lexicon is not valid JSON: {e.Message}");
        }
        var tags = new List<(string, Regex)>();
        string name = path ?? "lexicon";
        var stepTags =
            o["step_tags"] as JsonObject
            ?? throw InputError.Data($"{name}: field 'step_tags' is missing or not an object");
        foreach (var (tag, list) in stepTags)
        {
            var alts = Strings(path, $"step_tags.{tag}", list)
                .Select(p =>
                {
                    string e = Regex.Escape(p.ToLowerInvariant());
                    bool wordStart = char.IsLetterOrDigit(p[0]),
                        wordEnd = char.IsLetterOrDigit(p[^1]);
                    return (wordStart ? @"\b" : "") + e + (wordEnd ? @"\b" : "");
                });
            tags.Add((tag, new Regex(string.Join("|", alts), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)));
        }
        var cats = new List<(string, HashSet<string>)>();
        var categories =
            o["token_categories"] as JsonObject
            ?? throw InputError.Data($"{name}: field 'token_categories' is missing or not an object");
        foreach (var (cat, list) in categories)
            cats.Add(
                (cat, Strings(path, $"token_categories.{cat}", list).Select(x => x.ToLowerInvariant()).ToHashSet())
            );
        return new Lexicon(tags, cats);
    }

    /// <summary>A field that must be an array of non-empty strings, or the one-line error naming it.</summary>
    private static IEnumerable<string> Strings(string? path, string field, JsonNode? list)
    {
        var bad = InputError.Data($"{path ?? "lexicon"}: field '{field}' must be an array of non-empty strings");
        if (list is not JsonArray a)
            throw bad;
        return a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : throw bad)
            .ToList();
    }

    /// <summary>
    /// The tag of a reasoning step: <c>code</c> for a code block, else the first tag whose phrases match, else
    /// <c>other</c>.
    /// </summary>
    public string TagStep(string text, bool isCode)
    {
        if (isCode)
            return "code";
        foreach (var (tag, re) in StepTags)
            if (re.IsMatch(text))
                return tag;
        return "other";
    }

    /// <summary>A token's display key: its text trimmed, or &lt;indent&gt; / &lt;newline&gt; / &lt;space&gt; for
    /// whitespace.</summary>
    public static string TokenKey(string token)
    {
        if (token.Length > 0 && token.All(c => c == '\n' || c == '\r'))
            return "<newline>";
        if (token.Length > 0 && token.All(char.IsWhiteSpace))
            return token.Contains('\n') ? "<newline>"
                : token.Length >= 2 ? "<indent>"
                : "<space>";
        return token.Trim();
    }

    /// <summary>The category of a token key (see <see cref="TokenKey"/>), or <c>other</c> when none lists it.</summary>
    public string CategorizeToken(string key)
    {
        string k = key.ToLowerInvariant();
        foreach (var (cat, set) in TokenCategories)
        {
            if (set.Contains(k))
                return cat;
            if (set.Contains("<digit>") && k.Length > 0 && k.All(char.IsDigit))
                return cat;
        }
        return "other";
    }
}
