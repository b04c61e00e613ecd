using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using InfraSharp.Influence;
using InfraSharp.Storage;

namespace InfraSharp.Cli.Commands;

/// <summary>
/// Option factories with their range checks attached, so that a bad value is a parse error naming the option
/// (one line, exit code 2) before any work starts.
/// </summary>
public static class CliOptions
{
    public static Option<string> Path(string name, string description, bool required = true) =>
        new(name) { Description = description, Required = required };

    public static Option<string?> OptionalPath(string name, string description) =>
        new(name) { Description = description };

    /// <summary>An integer option that must be at least <paramref name="min"/>.</summary>
    public static Option<int> Int(
        string name,
        string description,
        int defaultValue,
        int min = 1,
        int max = int.MaxValue
    )
    {
        var o = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        o.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < min)
                r.AddError($"{name} must be at least {min} (got {v})");
            if (v > max)
                r.AddError($"{name} must be at most {max} (got {v})");
        });
        return o;
    }

    /// <summary>Like <see cref="Choice"/>, for an option without a default.</summary>
    public static Option<string?> OptionalChoice(string name, string description, IReadOnlyCollection<string> choices)
    {
        var o = new Option<string?>(name) { Description = $"{description}: {string.Join(" | ", choices)}" };
        o.Validators.Add(r =>
        {
            string? v = r.GetValueOrDefault<string?>();
            if (v is not null && !choices.Contains(v))
                r.AddError($"{name} '{v}' must be one of {string.Join(", ", choices)}");
        });
        return o;
    }

    public static Option<long> Long(string name, string description, long defaultValue, long min = 0)
    {
        var o = new Option<long>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        o.Validators.Add(r =>
        {
            long v = r.GetValueOrDefault<long>();
            if (v < min)
                r.AddError($"{name} must be at least {min} (got {v})");
        });
        return o;
    }

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>] (open at min when <paramref
    /// name="exclusiveMin"/>).</summary>
    public static Option<double> Double(
        string name,
        string description,
        double defaultValue,
        double min,
        double max = double.MaxValue,
        bool exclusiveMin = false
    )
    {
        var o = new Option<double>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        o.Validators.Add(r => CheckDouble(r, name, r.GetValueOrDefault<double>(), min, max, exclusiveMin));
        return o;
    }

    public static Option<double?> OptionalDouble(
        string name,
        string description,
        double min,
        double max = double.MaxValue,
        bool exclusiveMin = false
    )
    {
        var o = new Option<double?>(name) { Description = description };
        o.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is double v)
                CheckDouble(r, name, v, min, max, exclusiveMin);
        });
        return o;
    }

    private static void CheckDouble(OptionResult r, string name, double v, double min, double max, bool exclusiveMin)
    {
        bool ok = double.IsFinite(v) && (exclusiveMin ? v > min : v >= min) && v <= max;
        if (!ok)
        {
            string range = max == double.MaxValue ? (exclusiveMin ? $"> {min}" : $">= {min}") : $"in [{min}, {max}]";
            r.AddError(
                string.Create(CultureInfo.InvariantCulture, $"{name} must be a finite number {range} (got {v})")
            );
        }
    }

    /// <summary>
    /// An enum option spelled as in the manifests (the <see cref="JsonStringEnumMemberNameAttribute"/> name, else
    /// the lower-case member name); anything else is an error listing the accepted values.
    /// </summary>
    public static Option<T> Enum<T>(string name, string description, T defaultValue)
        where T : struct, System.Enum
    {
        var names = Names<T>();
        return new Option<T>(name)
        {
            Description = $"{description}: {string.Join(" | ", names.Keys)}",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r =>
            {
                string s = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
                if (names.TryGetValue(s, out var v))
                    return v;
                r.AddError($"{name} '{s}' must be one of {string.Join(", ", names.Keys)}");
                return defaultValue;
            },
        };
    }

    public static IReadOnlyDictionary<string, T> Names<T>()
        where T : struct, System.Enum => EnumNames.All<T>();

    /// <summary>Like <see cref="Enum"/>, for an option without a default (null when not given).</summary>
    public static Option<T?> OptionalEnum<T>(string name, string description)
        where T : struct, System.Enum
    {
        var names = Names<T>();
        return new Option<T?>(name)
        {
            Description = $"{description}: {string.Join(" | ", names.Keys)}",
            CustomParser = r =>
            {
                string s = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
                if (names.TryGetValue(s, out var v))
                    return v;
                r.AddError($"{name} '{s}' must be one of {string.Join(", ", names.Keys)}");
                return null;
            },
        };
    }

    /// <summary>
    /// A typed value written as text (<see cref="ModuleSelection"/>, <see cref="Index.ProjectionSpec"/>, ...), parsed
    /// when the command line is: a malformed one is the type's own one-line message, before any work starts.
    /// </summary>
    public static Option<T> Parsed<T>(string name, string description, T defaultValue)
        where T : IParsable<T> =>
        new(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r => Parse(r, defaultValue),
        };

    /// <summary>Like <see cref="Parsed{T}"/>, for an option without a default (null when not given).</summary>
    public static Option<T?> OptionalParsed<T>(string name, string description)
        where T : struct, IParsable<T> =>
        new(name) { Description = description, CustomParser = r => Parse<T>(r, default) };

    /// <summary>A repeatable typed value (each token parsed as <see cref="Parsed{T}"/>).</summary>
    public static Option<T[]> ParsedList<T>(string name, string description)
        where T : IParsable<T> =>
        new(name)
        {
            Description = description,
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [],
            CustomParser = r =>
            {
                var values = new List<T>();
                foreach (var t in r.Tokens)
                    if (TryParse(r, t.Value, out T? v))
                        values.Add(v);
                return [.. values];
            },
        };

    private static T Parse<T>(ArgumentResult r, T fallback)
        where T : IParsable<T> => TryParse(r, r.Tokens.Count == 1 ? r.Tokens[0].Value : "", out T? v) ? v : fallback;

    private static bool TryParse<T>(ArgumentResult r, string text, [NotNullWhen(true)] out T? value)
        where T : IParsable<T>
    {
        try
        {
            value = T.Parse(text, CultureInfo.InvariantCulture)!;
            return true;
        }
        catch (Exception e) when (InputError.Is(e, out _))
        {
            r.AddError(e.Message);
            value = default;
            return false;
        }
    }

    /// <summary>One of a fixed set of words (such as a registry's names).</summary>
    public static Option<string> Choice(
        string name,
        string description,
        string defaultValue,
        IReadOnlyCollection<string> choices
    )
    {
        var o = new Option<string>(name)
        {
            Description = $"{description}: {string.Join(" | ", choices)}",
            DefaultValueFactory = _ => defaultValue,
        };
        o.Validators.Add(r =>
        {
            string? v = r.GetValueOrDefault<string>();
            if (v is null || !choices.Contains(v))
                r.AddError($"{name} '{v}' must be one of {string.Join(", ", choices)}");
        });
        return o;
    }

    /// <summary>A byte count such as 16GiB, 4G, 512M or 1048576.</summary>
    public static Option<long?> Bytes(string name, string description) =>
        new(name)
        {
            Description = description,
            CustomParser = r =>
            {
                string s = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
                if (ParseBytes(s) is long v)
                    return v;
                r.AddError($"{name} '{s}' is not a positive size such as 16GiB, 4G or 512M");
                return null;
            },
        };

    public static long? ParseBytes(string s)
    {
        s = s.Trim().ToUpperInvariant();
        if (s.EndsWith("IB"))
            s = s[..^2];
        else if (s.EndsWith('B'))
            s = s[..^1];
        long mult =
            s.EndsWith('T') ? 1L << 40
            : s.EndsWith('G') ? 1L << 30
            : s.EndsWith('M') ? 1L << 20
            : s.EndsWith('K') ? 1L << 10
            : 1;
        string num = mult == 1 ? s : s[..^1];
        return
            double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            && v > 0
            && double.IsFinite(v)
            ? (long)(v * mult)
            : null;
    }

    /// <summary><c>i/n</c>: one share of a run (see <see cref="Partition"/>).</summary>
    public static Option<Partition> PartitionOption(string description, string name = "--partition") =>
        new(name)
        {
            Description =
                description + "; auto (or auto/N): from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or RANK/WORLD_SIZE",
            DefaultValueFactory = _ => Partition.Whole,
            CustomParser = r =>
            {
                string s = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
                try
                {
                    return Partition.Parse(s, name);
                }
                catch (ArgumentException e)
                {
                    r.AddError(e.Message);
                    return Partition.Whole;
                }
            },
        };

    public static Option<bool> Overwrite(
        string description = "Start over in an output folder that holds a run with other arguments"
    ) => new("--overwrite") { Description = description };

    /// <summary><c>--device cpu|cuda|cuda:N</c>: the spelling is checked here, the device's presence when the run
    /// starts.</summary>
    public static Option<string> Device()
    {
        var o = new Option<string>("--device")
        {
            Description = "Where the model runs: cpu | cuda | cuda:N",
            DefaultValueFactory = _ => Models.ComputeDevice.Cpu,
        };
        o.Validators.Add(r =>
        {
            string v = r.GetValueOrDefault<string>() ?? "";
            bool ok = v == "cpu" || v == "cuda" || v.StartsWith("cuda:") && int.TryParse(v[5..], out int i) && i >= 0;
            if (!ok)
                r.AddError($"--device '{v}' must be cpu, cuda or cuda:N");
        });
        return o;
    }

    /// <summary><c>--dtype float32|bfloat16</c>: the model's compute dtype (weights cast once when loaded).</summary>
    public static Option<Models.ComputeDType> DType(Models.ComputeDType defaultValue = Models.ComputeDType.Float32) =>
        Enum("--dtype", "The model's compute dtype (a bf16 checkpoint is not widened for bfloat16)", defaultValue);

    /// <summary><c>--statistics-dtype</c>: what captured activations and gradients are cast to before
    /// statistics.</summary>
    public static Option<Models.ComputeDType> StatisticsDType(
        Models.ComputeDType defaultValue = Models.ComputeDType.Float32
    ) =>
        Enum(
            "--statistics-dtype",
            "Dtype of the captured activations and gradients that statistics are formed from "
                + "(sums stay float64, scores float32)",
            defaultValue
        );

    public static Option<int?> Threads()
    {
        var o = new Option<int?>("--threads") { Description = "CPU threads for torch" };
        o.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is int t && t < 1)
                r.AddError($"--threads must be at least 1 (got {t})");
        });
        return o;
    }
}
