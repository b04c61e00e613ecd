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
    /// <summary>The model folder.</summary>
    public string Folder { get; }

    /// <summary>The folder's tokenizer and chat template.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The model with its weights loaded.</summary>
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

    /// <summary>SHA-256 of the tokenizer files (what encoded datasets are tied to).</summary>
    public string TokenizerFingerprint => Storage.Fingerprint.Tokenizer(Folder);

    /// <summary>The padding token id (the tokenizer's, else 0).</summary>
    public int PadId => Tokenizer.PadId ?? 0;

    /// <summary>
    /// Loads the model folder <paramref name="folder"/> (named by <paramref name="option"/> in messages) onto <paramref
    /// name="device"/> (default: CPU) in <paramref name="dtype"/>.
    /// </summary>
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

    /// <summary>Refuses a model folder that does not exist, naming <paramref name="option"/>.</summary>
    public static void RequireFolder(string folder, string option)
    {
        if (!Directory.Exists(folder))
            throw InputError.MissingFile($"{option} {folder}: no such folder", folder);
    }

    /// <summary>
    /// Encoding options for this model: its context length and vocabulary; <paramref name="labelAll"/> trains on every
    /// token, not only responses.
    /// </summary>
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

    /// <summary>Frees the model's tensors.</summary>
    public void Dispose() => Model.Dispose();
}
