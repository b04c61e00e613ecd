using InfraSharp.Models;
using InfraSharp.Storage;

namespace InfraSharp.Influence;

/// <summary>
/// Which Linear layers influence is computed over, by Hugging Face name. <c>all</c> (default): every Linear in
/// the decoder layers (attention q/k/v/o and MLP gate/up/down); <c>mlp</c>: gate/up/down only (the Infra
/// paper's setting); anything else is a regex matched against the full module name.
/// </summary>
public sealed record TrackedModules(ModuleSelection Selector, IReadOnlyList<string> Names)
{
    /// <summary>
    /// The Linear layers of a model of <paramref name="config"/>'s shape that <paramref name="selector"/> picks; none
    /// is a bad argument.
    /// </summary>
    public static TrackedModules Resolve(ModelConfig config, ModuleSelection selector)
    {
        var all = config.LinearModuleNames().ToList();
        var names = selector.Select(all);
        // Only the model can say that a selection is empty, so this check names the flag itself.
        if (names.Count == 0)
            throw InputError.Argument(
                $"--modules '{selector.Text.Trim()}' matches no Linear layer (names look like {all[0]})"
            );
        return new TrackedModules(selector, names);
    }

    /// <summary>
    /// The <paramref name="k"/> module groups that module partitions process one at a time: contiguous ranges of
    /// the list, so that the factor and score runs and the memory planner agree on which modules share a pass.
    /// </summary>
    public IReadOnlyList<(Partition Group, TrackedModules Modules)> Groups(int k)
    {
        if (k < 1)
            throw InputError.Argument($"--module-partitions must be at least 1 (got {k})");
        if (k > Names.Count)
            throw InputError.Argument($"--module-partitions {k}: only {Names.Count} modules to share");
        return Enumerable
            .Range(0, k)
            .Select(g =>
            {
                var group = new Partition(g, k);
                var (m0, m1) = group.Range(Names.Count);
                return (group, this with { Names = Names.Skip(m0).Take(m1 - m0).ToList() });
            })
            .ToList();
    }

    /// <summary>The short name inside a layer (<c>mlp.up_proj</c>) of a full module name.</summary>
    public static string ShortName(string module) => string.Join('.', module.Split('.')[^2..]);
}
