using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Index;

namespace InfraSharp.Cli.Binding;

/// <summary>
/// The options of <see cref="IndexBuildRunArguments"/>: the training rows, whether they are appended, and (under
/// <c>index</c>) those of <see cref="IndexArgumentsBinder"/>.
/// </summary>
public sealed class IndexBuildRunArgumentsBinder : ArgumentsBinder<IndexBuildRunArguments>
{
    public IndexArgumentsBinder Index { get; } = new();
    public Option<string> Train { get; }
    public Option<bool> Append { get; }

    public IndexBuildRunArgumentsBinder()
    {
        Sets("index.model", Index.Model); // listed first, then the rows, as the command always did
        Train = Sets("train", CliOptions.Path("--train", "Training rows to index (JSONL or Parquet)"));
        Nest("index", Index);
        Append = Sets(
            "append",
            new Option<bool>("--append") { Description = "Add --train to an existing index as a new segment" }
        );
    }

    public override IndexBuildRunArguments Bind(ParseResult result) =>
        new()
        {
            Index = Index.Bind(result),
            Train = result.GetValue(Train)!,
            Append = result.GetValue(Append),
        };
}
