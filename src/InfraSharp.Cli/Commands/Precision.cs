namespace InfraSharp.Cli.Commands;

/// <summary>The preconditioner's rotation dtype, as the CLI spells it.</summary>
public enum Precision
{
    Float32,
    Float64,
}
