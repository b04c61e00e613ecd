using System.Text.Json.Nodes;

namespace InfraSharp.Text;

/// <summary>
/// Everything a model folder says about text: the BPE tokenizer, its chat template, end / pad tokens and
/// decode options (tokenizer.json, tokenizer_config.json, chat_template.jinja, generation_config.json).
/// </summary>
public sealed class Tokenizer
{
    internal BpeTokenizer Bpe { get; }
    internal ChatTemplate? Template { get; }

    /// <summary>
    /// Why the folder's chat template cannot be used (absent, or a construct this build does not render); null when it
    /// can.
    /// </summary>
    public string? TemplateError { get; }

    /// <summary>The folder the tokenizer was loaded from.</summary>
    public string Folder { get; }

    /// <summary>The end-of-sequence token id (<c>eos_token</c> of tokenizer_config.json), if named.</summary>
    public int? EosId { get; }

    /// <summary>The padding token id (<c>pad_token</c>), if named.</summary>
    public int? PadId { get; }

    /// <summary>The beginning-of-sequence token id (<c>bos_token</c>), if named.</summary>
    public int? BosId { get; }

    /// <summary>Whether decoding cleans up spaces before punctuation (<c>clean_up_tokenization_spaces</c>).</summary>
    public bool CleanUpSpaces { get; }

    private Tokenizer(
        string folder,
        BpeTokenizer bpe,
        ChatTemplate? template,
        string? templateError,
        int? eos,
        int? pad,
        int? bos,
        bool clean
    )
    {
        Folder = folder;
        Bpe = bpe;
        Template = template;
        TemplateError = templateError;
        EosId = eos;
        PadId = pad;
        BosId = bos;
        CleanUpSpaces = clean;
    }

    /// <summary>
    /// Loads the tokenizer, its configuration and chat template from a Hugging Face model or tokenizer folder.
    /// </summary>
    public static Tokenizer Load(string folder)
    {
        var bpe = BpeTokenizer.Load(Path.Combine(folder, "tokenizer.json"));
        string cfgPath = Path.Combine(folder, "tokenizer_config.json");
        JsonObject cfg = File.Exists(cfgPath) ? Storage.JsonFile.ReadObject(cfgPath) : new JsonObject();
        string? TokenField(string f) =>
            cfg[f] switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonObject o => o["content"]?.GetValue<string>(),
                _ => null,
            };
        string? eos = TokenField("eos_token"),
            pad = TokenField("pad_token"),
            bos = TokenField("bos_token");

        string? source = null,
            origin = null;
        string jinja = Path.Combine(folder, "chat_template.jinja");
        if (File.Exists(jinja))
        {
            source = File.ReadAllText(jinja);
            origin = jinja;
        }
        else if (cfg["chat_template"] is JsonValue ct)
        {
            source = ct.GetValue<string>();
            origin = cfgPath + " (chat_template)";
        }
        ChatTemplate? template = null;
        string? error = null;
        if (source is not null)
        {
            try
            {
                template = ChatTemplate.FromSource(source, origin!, new ChatTemplate.TemplateContext(bos, eos));
            }
            catch (NotSupportedException e)
            {
                error = e.Message;
            } // only fatal when a chat row needs it
        }
        else
            error = $"{folder}: no chat template (chat_template.jinja or tokenizer_config.json's chat_template)";
        return new Tokenizer(
            folder,
            bpe,
            template,
            error,
            eos is null ? null : bpe.TokenToId(eos),
            pad is null ? null : bpe.TokenToId(pad),
            bos is null ? null : bpe.TokenToId(bos),
            cfg["clean_up_tokenization_spaces"]?.GetValue<bool>() ?? false
        );
    }

    internal ChatTemplate RequireTemplate() =>
        Template ?? throw InputError.Unsupported(TemplateError ?? "no chat template");

    /// <summary>
    /// The text of <paramref name="ids"/>; <paramref name="skipSpecialTokens"/> leaves special tokens out.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false) =>
        Bpe.Decode(ids, skipSpecialTokens, CleanUpSpaces);
}
