using System.Text.Json.Nodes;

namespace InfraSharp.Text;

/// <summary>One dataset row as read, with where it came from (file and 1-based line or row number).</summary>
public sealed record DataRow(JsonObject Fields, string File, int Line)
{
    /// <summary>Set when the line could not be parsed and the reader was asked to go on.</summary>
    public string? ParseError { get; init; }

    /// <summary>The row's place as <c>file:line</c>, as messages name it.</summary>
    public string Where => $"{File}:{Line}";
}
