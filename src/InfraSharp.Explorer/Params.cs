using Microsoft.AspNetCore.Http;

namespace InfraSharp.Explorer;

/// <summary>A bad request parameter: answered 400 with the message.</summary>
internal sealed class BadRequestException(string message) : Exception(message);

/// <summary>Checked query-string parameters: integers in range, choices, <c>filter=key=value</c> pairs.</summary>
internal sealed class Params(IQueryCollection query)
{
    public int Int(string name, int fallback, int min, int max)
    {
        string? s = query[name].FirstOrDefault();
        if (s is null)
            return fallback;
        if (!int.TryParse(s, out int v) || v < min || v > max)
            throw new BadRequestException($"{name} must be an integer in [{min}, {max}] (got '{Clip(s)}')");
        return v;
    }

    public string Choice(string name, string fallback, string[] choices)
    {
        string? s = query[name].FirstOrDefault();
        if (s is null)
            return fallback;
        return choices.Contains(s)
            ? s
            : throw new BadRequestException($"{name} must be one of {string.Join(", ", choices)} (got '{Clip(s)}')");
    }

    public List<(string Key, string Value)> Filters() =>
        query["filter"]
            .Where(f => !string.IsNullOrEmpty(f))
            .Select(f =>
            {
                int eq = f!.IndexOf('=');
                return eq > 0
                    ? (f[..eq], f[(eq + 1)..])
                    : throw new BadRequestException($"filter must be key=value (got '{Clip(f)}')");
            })
            .ToList();

    /// <summary>A row index from the path, checked against the count.</summary>
    public static int Index(string s, string what, int count) =>
        int.TryParse(s, out int i) && i >= 0 && i < count
            ? i
            : throw new BadRequestException($"no {what} '{Clip(s)}' (there are {count}, numbered 0 to {count - 1})");

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
