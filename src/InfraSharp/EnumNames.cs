using System.Reflection;
using System.Text.Json.Serialization;

namespace InfraSharp;

/// <summary>
/// The words an enum's values are documented by: the <see cref="JsonStringEnumMemberNameAttribute"/> name (what the
/// manifests write), else the member name in lower case. The CLI takes these words, and the launcher writes them
/// into the job files' command lines.
/// </summary>
public static class EnumNames
{
    /// <summary>The word for <paramref name="value"/>: its JSON name, else its member name in lower case.</summary>
    /// <typeparam name="T">The enum type.</typeparam>
    public static string Of<T>(T value)
        where T : struct, Enum => Cache<T>.Names[value];

    /// <summary>Every value by its word, in declaration order.</summary>
    public static IReadOnlyDictionary<string, T> All<T>()
        where T : struct, Enum => Cache<T>.Values;

    /// <summary>
    /// The value whose word is <paramref name="text"/> (exact, case-sensitive); false for an unknown word.
    /// </summary>
    /// <typeparam name="T">The enum type.</typeparam>
    public static bool TryParse<T>(string? text, out T value)
        where T : struct, Enum => Cache<T>.Values.TryGetValue(text ?? "", out value);

    private static class Cache<T>
        where T : struct, Enum
    {
        public static readonly Dictionary<T, string> Names = Enum.GetValues<T>()
            .ToDictionary(
                v => v,
                v =>
                    typeof(T).GetField(v.ToString())!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                    ?? v.ToString().ToLowerInvariant()
            );

        public static readonly Dictionary<string, T> Values = Names.ToDictionary(kv => kv.Value, kv => kv.Key);
    }
}
