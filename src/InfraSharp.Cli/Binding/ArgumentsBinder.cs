using System.CommandLine;

namespace InfraSharp.Cli.Binding;

/// <summary>
/// The options of one arguments record, declared once (names, help, defaults read from the record itself), added to
/// any command that sets the record, and bound from a parse result to the record. It also knows which flag sets
/// which property, by the property's manifest path (<see cref="ArgumentPath"/>), so that the CLI can write a
/// record's validation message with the flags the user typed (<see cref="Commands.CliRunner.Run"/>).
/// </summary>
public abstract class ArgumentsBinder<T>
{
    private readonly List<Option> _options = [];
    private readonly Dictionary<string, string> _flags = new(StringComparer.Ordinal);

    /// <summary>Every option this binder reads, in the order commands list them.</summary>
    public IReadOnlyList<Option> Options => _options;

    /// <summary>Property path (relative to <typeparamref name="T"/>) → the flag that sets it.</summary>
    public IReadOnlyDictionary<string, string> Flags => _flags;

    /// <summary>Declares <paramref name="option"/> as the one that sets the property at <paramref name="path"/>.
    /// </summary>
    protected TOption Sets<TOption>(string path, TOption option)
        where TOption : Option
    {
        if (!_options.Contains(option))
            _options.Add(option);
        _flags[path] = option.Name;
        return option;
    }

    /// <summary>Takes in the options of a nested record's binder, its paths under <paramref name="prefix"/>.</summary>
    protected void Nest<TInner>(string prefix, ArgumentsBinder<TInner> inner)
    {
        foreach (var o in inner.Options)
            if (!_options.Contains(o))
                _options.Add(o);
        foreach (var (path, flag) in inner.Flags)
            _flags[(ArgumentPath.Root / prefix / path).Path] = flag;
    }

    /// <summary>Adds the options to <paramref name="command"/> (one another binder added is not repeated).</summary>
    public void AddTo(Command command)
    {
        foreach (var o in _options)
            if (!command.Options.Contains(o))
                command.Options.Add(o);
    }

    public abstract T Bind(ParseResult result);
}
