using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Storage;

namespace InfraSharp.Training;

/// <summary>
/// A trained model folder (what <see cref="TrainingRun"/> writes): its kind, the files it owns (a Hugging Face model
/// folder, the arguments file, the log and checkpoints) and its manifest's typed parts.
/// </summary>
public sealed record TrainingFolder(string Dir, TrainingRunArguments Arguments, TrainingInputs Inputs)
{
    /// <summary>The run kind of a training folder's manifest.</summary>
    public const string Kind = "training";

    /// <summary>
    /// The file in a trained model folder that records the run's whole arguments (data, shape or base model, seed,
    /// steps, token budget, optimiser), so that validation can retrain the same way on subsets of the data.
    /// </summary>
    public const string ArgumentsFile = "training_args.json";

    /// <summary>What a training run writes into its folder: model, tokenizer, arguments, log, checkpoints.</summary>
    public static readonly string[] OwnedFiles =
    [
        "model.safetensors",
        "model.safetensors.index.json",
        "model-*-of-*.safetensors",
        "config.json",
        "generation_config.json",
        .. CheckpointWriter.TokenizerFiles,
        ArgumentsFile,
        "trainer_log.jsonl",
        "checkpoint-*/**",
    ];

    /// <summary>The training folder <paramref name="dir"/> (named by <paramref name="option"/> in messages).</summary>
    public static TrainingFolder Open(string dir, string option = "--model")
    {
        var f = RunFolder.Open(dir, option, "training folder", Kind);
        var json = TrainingJson.Manifest;
        return new TrainingFolder(dir, f.Arguments(json.TrainingRunArguments), f.Inputs(json.TrainingInputs));
    }

    /// <summary>The manifest a training run writes (the arguments normalised; nothing planned, no info).</summary>
    public static RunManifest Manifest(TrainingRunArguments arguments, TrainingInputs inputs)
    {
        var json = TrainingJson.Manifest;
        return new RunManifest(
            Kind,
            RunFolder.Node(arguments, json.TrainingRunArguments),
            RunFolder.Node(inputs, json.TrainingInputs),
            Plan: new JsonObject()
        )
        {
            Owns = OwnedFiles,
        };
    }
}

/// <summary>Fingerprints of the training rows and of the base model (null when initialised from a shape).</summary>
public sealed record TrainingInputs
{
    /// <summary>Fingerprint of the training rows.</summary>
    public required string Data { get; init; }

    /// <summary>Fingerprint of the base model, or null when initialised from a shape.</summary>
    public required string? Model { get; init; }
}
