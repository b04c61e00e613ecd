using System.Text.Json.Nodes;

namespace InfraSharp.Curation;

/// <summary>
/// How many rows of a drawn mix repeat a row drawn already: a mix drawn from its own training set (replace mode
/// without a pool) repeats rows whenever a group must grow, and a repeated row trains twice on the same text, which
/// the summary states rather than hides.
/// </summary>
internal static class MixDuplicates
{
    /// <summary>Rows minus distinct rows, by <c>id</c> (by the row's text where a row has no id).</summary>
    public static int Count(IReadOnlyList<JsonObject> rows) =>
        rows.Count - rows.Select(Key).Distinct(StringComparer.Ordinal).Count();

    private static string Key(JsonObject row)
    {
        if (row["id"] is JsonNode id)
            return "id:" + id.ToJsonString();
        var o = (JsonObject)row.DeepClone();
        o.Remove("weight");
        return "row:" + o.ToJsonString();
    }
}
