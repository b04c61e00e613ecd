using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Influence;
using InfraSharp.Models;

namespace InfraSharp.Cli.Binding;

/// <summary>
/// The options of <see cref="FactorRunArguments"/>: the model and data, the model's dtype, a memory bound and (under
/// <c>fit</c>) those of <see cref="FactorArgumentsBinder"/>.
/// </summary>
public sealed class FactorRunArgumentsBinder : ArgumentsBinder<FactorRunArguments>
{
    private static readonly FactorRunArguments Defaults = new() { Model = "", Data = "" };

    public Option<string> Model { get; }
    public Option<string> Data { get; }
    public Option<ComputeDType> DType { get; }
    public Option<long?> MaxMemory { get; }
    public FactorArgumentsBinder Fit { get; } = new();

    public FactorRunArgumentsBinder(
        string modelHelp = "Model folder",
        string dataHelp = "Training rows the factors are fitted on"
    )
    {
        Model = Sets("model", CliOptions.Path("--model", modelHelp));
        Data = Sets("data", CliOptions.Path("--data", dataHelp));
        Nest("fit", Fit);
        MaxMemory = Sets("max_memory_bytes", InfluenceOptions.MaxMemory());
        DType = Sets("dtype", InfluenceOptions.DType(Defaults.DType));
    }

    public override FactorRunArguments Bind(ParseResult result) =>
        new()
        {
            Model = result.GetValue(Model)!,
            Data = result.GetValue(Data)!,
            Fit = Fit.Bind(result),
            DType = result.GetValue(DType),
            MaxMemoryBytes = result.GetValue(MaxMemory),
        };
}
