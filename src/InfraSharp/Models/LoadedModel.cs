using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>
/// A model folder as the runs use it: tokenizer, weights and fingerprint, and its datasets encoded so that every
/// example fits the context and the vocabulary (checked while encoding, naming the file and line, because an
/// id outside the embedding aborts inside libtorch instead of throwing).
/// </summary>
public sealed class LoadedModel : IDisposable
{
    public string Folder { get; }
    public Tokenizer Tokenizer { get; }
    public CausalLM Model { get; }
    private readonly Lazy<string> _fingerprint;

    private LoadedModel(string folder, Tokenizer tokenizer, CausalLM model)
    {
        Folder = folder;
        Tokenizer = tokenizer;
        Model = model;
        _fingerprint = new(() => Storage.Fingerprint.Model(folder));
    }

    /// <summary>SHA-256 of config.json and the weights (what factors and scores are tied to).</summary>
    public string Fingerprint => _fingerprint.Value;
    public string TokenizerFingerprint => Storage.Fingerprint.Tokenizer(Folder);
    public int PadId => Tokenizer.PadId ?? 0;

    public static LoadedModel Load(
        string folder,
        ScalarType dtype = ScalarType.Float32,
        string option = "--model",
        Device? device = null
    )
    {
        RequireFolder(folder, option);
        return new LoadedModel(folder, Text.Tokenizer.Load(folder), ModelLoader.Load(folder, dtype, device));
    }

    /// <summary>Loads for a run: compute dtype from its arguments, device from its options (<c>--device</c>).</summary>
    public static LoadedModel Load(string folder, ComputeDType dtype, string device) =>
        Load(folder, dtype.ToScalarType(), "--model", ComputeDevice.Parse(device));

    public static void RequireFolder(string folder, string option)
    {
        if (!Directory.Exists(folder))
            throw InputError.MissingFile($"{option} {folder}: no such folder", folder);
    }

    public EncodeOptions EncodeOptions(bool labelAll = false) =>
        new()
        {
            LabelAllTokens = labelAll,
            MaxLength = Model.Config.MaxPositionEmbeddings,
            VocabSize = Model.Config.VocabSize,
        };

    /// <summary>Every row of <paramref name="path"/> encoded for this model; an empty file is bad input.</summary>
    public List<EncodedExample> Encode(string path, int maxExamples = 0, bool labelAll = false)
    {
        var list = new ExampleEncoder(Tokenizer, EncodeOptions(labelAll)).EncodeFile(path);
        if (list.Count == 0)
            throw InputError.Argument($"{path}: the dataset is empty");
        return maxExamples > 0 ? list.Take(maxExamples).ToList() : list;
    }

    public void Dispose() => Model.Dispose();
}
