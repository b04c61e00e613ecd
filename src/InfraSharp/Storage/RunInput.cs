namespace InfraSharp.Storage;

/// <summary>
/// A path a run reads (a model, adapter or upstream folder, a data file), named as the user gave it
/// (<c>--model</c>, <c>--data</c>, ...), so that an output placed on it can be refused naming both.
/// </summary>
public sealed record RunInput(string Name, string? Path)
{
    /// <summary>The inputs among <paramref name="inputs"/> that were given (a null or empty path is skipped).</summary>
    public static IEnumerable<RunInput> Of(params (string Name, string? Path)[] inputs) =>
        inputs.Where(i => !string.IsNullOrEmpty(i.Path)).Select(i => new RunInput(i.Name, i.Path));
}
