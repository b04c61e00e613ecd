using System.Text.RegularExpressions;
using InfraSharp.Models;

namespace InfraSharp.Influence;

/// <summary>
/// Which Linear layers influence is computed over, by Hugging Face name. <c>all</c> (default): every Linear in
/// the decoder layers (attention q/k/v/o and MLP gate/up/down); <c>mlp</c>: gate/up/down only (the Infra
/// paper's setting); anything else is a regex matched against the full module name.
/// </summary>
public sealed record TrackedModules(string Selector, IReadOnlyList<string> Names)
{
    public static TrackedModules Resolve(ModelConfig config, string? selector)
    {
        selector = string.IsNullOrWhiteSpace(selector) ? "all" : selector.Trim();
        var all = config.LinearModuleNames().ToList();
        List<string> names = selector switch
        {
            "all" => all,
            "mlp" => all.Where(n => n.Contains(".mlp.")).ToList(),
            "attn" or "attention" => all.Where(n => n.Contains(".self_attn.")).ToList(),
            _ => all.Where(n => Regex.IsMatch(n, selector)).ToList(),
        };
        if (names.Count == 0)
            throw InputError.Argument($"--modules '{selector}' matches no Linear layer (names look like {all[0]})");
        return new TrackedModules(selector, names);
    }

    /// <summary>The short name inside a layer (<c>mlp.up_proj</c>) of a full module name.</summary>
    public static string ShortName(string module) => string.Join('.', module.Split('.')[^2..]);
}
