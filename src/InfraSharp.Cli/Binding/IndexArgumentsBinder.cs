using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Index;
using InfraSharp.Influence;
using InfraSharp.Models;

namespace InfraSharp.Cli.Binding;

/// <summary>The options of <see cref="IndexArguments"/> (what defines a gradient index), with its defaults.</summary>
public sealed class IndexArgumentsBinder : ArgumentsBinder<IndexArguments>
{
    private static readonly IndexArguments Defaults = new() { Model = "" };

    public Option<string> Model { get; }
    public Option<ModuleSelection> Modules { get; }
    public Option<ProjectionSpec> ProjectionDim { get; }
    public Option<IndexPrecondition> Precondition { get; }
    public Option<string?> Factors { get; }
    public Option<long> Seed { get; }
    public Option<StoreDType> StoreDType { get; }
    public Option<int> ShardRows { get; }
    public Option<int> TokensPerBatch { get; }
    public Option<ComputeDType> DType { get; }

    public IndexArgumentsBinder()
    {
        Model = Sets("model", CliOptions.Path("--model", "Model folder whose gradients are stored"));
        Modules = Sets(
            "modules",
            InfluenceOptions.Modules(Defaults.Modules, "Tracked Linear layers: mlp, attn, all or a regex")
        );
        ProjectionDim = Sets(
            "projection_dim",
            CliOptions.Parsed(
                "--projection-dim",
                "k_in = k_out per module (K), K_IN:K_OUT, 'full' (no projection), or selector=dims pairs "
                    + "such as mlp=16,attn=8",
                Defaults.ProjectionDim
            )
        );
        Precondition = Sets(
            "precondition",
            CliOptions.Enum("--precondition", "Preconditioner fitted in the projected space", Defaults.Precondition)
        );
        Factors = Sets(
            "factors",
            CliOptions.OptionalPath(
                "--factors",
                "Factor folder of the same model: its covariances are projected instead of re-estimated"
            )
        );
        Seed = Sets("seed", CliOptions.Long("--seed", "Seed of the projection matrices", Defaults.Seed));
        StoreDType = Sets("store_d_type", CliOptions.Enum("--store-dtype", "Stored vector dtype", Defaults.StoreDType));
        ShardRows = Sets("shard_rows", CliOptions.Int("--shard-rows", "Rows per shard file", Defaults.ShardRows));
        TokensPerBatch = Sets("tokens_per_batch", InfluenceOptions.TokensPerBatch(Defaults.TokensPerBatch));
        DType = Sets("dtype", InfluenceOptions.DType(Defaults.DType));
    }

    public override IndexArguments Bind(ParseResult result) =>
        new()
        {
            Model = result.GetValue(Model)!,
            Modules = result.GetValue(Modules),
            ProjectionDim = result.GetValue(ProjectionDim)!,
            Precondition = result.GetValue(Precondition),
            Factors = result.GetValue(Factors),
            Seed = result.GetValue(Seed),
            StoreDType = result.GetValue(StoreDType),
            ShardRows = result.GetValue(ShardRows),
            TokensPerBatch = result.GetValue(TokensPerBatch),
            DType = result.GetValue(DType),
        };
}
