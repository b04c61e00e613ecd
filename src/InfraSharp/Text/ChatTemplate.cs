using System.Security.Cryptography;
using System.Text;

namespace InfraSharp.Text;

/// <summary>
/// Chat templates rendered in C#. No Jinja engine is available to .NET here, so each supported template
/// family is recognised by the SHA-256 of its exact source text and rendered by code that reproduces
/// transformers' <c>apply_chat_template</c> byte for byte on plain system/user/assistant conversations.
/// An unrecognised template is refused: a wrong rendering would silently shift every label.
/// </summary>
internal abstract class ChatTemplate
{
    public abstract string Family { get; }

    /// <summary>Renders plain messages; records the spans of assistant content plus its closing token.</summary>
    public abstract RenderedChat Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt);

    private static readonly Dictionary<string, Func<TemplateContext, ChatTemplate>> Known = new()
    {
        // The minimal ChatML loop (the fixtures' template).
        ["2eefca287a0f008b170ce31bc2c4dabb398a64eb74716bf64db5d9a21da50da9"] = _ => new ChatMlTemplate(null),
        // Qwen2.5-Instruct: ChatML with a default system prompt when the conversation has none.
        ["55b2f4a26ac9ee719330a61a0c39d9e538b0e9322212f048326318cff4f8674a"] = _ => new ChatMlTemplate(
            "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
        ),
        // Llama-3.1 (as shipped in the tokenizer config): header tokens, trimmed content, <|eot_id|>, bos first.
        ["ba03a121d097859c7b5b9cd03af99aafe95275210d2876f642ad9929a150f122"] = c => new Llama3Template(
            c.BosToken ?? ""
        ),
    };

    public sealed record TemplateContext(string? BosToken, string? EosToken);

    public static string Fingerprint(string source) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source.TrimEnd('\n'))));

    public static ChatTemplate FromSource(string source, string origin, TemplateContext context)
    {
        string fp = Fingerprint(source);
        if (Known.TryGetValue(fp, out var make))
            return make(context);
        throw InputError.Unsupported(
            $"{origin}: chat template (sha256 {fp[..12]}…) is not one InfraSharp can render exactly "
                + "(supported: ChatML, Qwen2.5-Instruct, Llama-3.1). Give pre-tokenized input_ids/labels, or text "
                + "rows, instead."
        );
    }

    protected static void CheckPlain(IReadOnlyList<ChatMessage> messages)
    {
        foreach (var m in messages)
            if (m.Role is not ("system" or "user" or "assistant"))
                throw InputError.Unsupported(
                    $"chat role '{m.Role}' is not supported by the C# template renderer (system, user, assistant)"
                );
    }
}

/// <summary>ChatML: <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c> per message.</summary>
internal sealed class ChatMlTemplate(string? defaultSystem) : ChatTemplate
{
    /// <summary>The Jinja source of the plain ChatML loop, written into tokenizers that InfraSharp trains.</summary>
    public const string Source =
        "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
        + "'<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' "
        + "}}{%- endif %}";

    public override string Family => defaultSystem is null ? "chatml" : "qwen2.5";

    public override RenderedChat Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        CheckPlain(messages);
        var sb = new StringBuilder();
        var spans = new List<(int, int)>();
        int first = 0;
        if (defaultSystem is not null)
        {
            // Qwen2.5: a leading system message is emitted here, otherwise the default one; the loop then
            // skips that leading system message.
            if (messages.Count > 0 && messages[0].Role == "system")
            {
                Emit(sb, spans, messages[0]);
                first = 1;
            }
            else
                sb.Append("<|im_start|>system\n").Append(defaultSystem).Append("<|im_end|>\n");
        }
        for (int i = first; i < messages.Count; i++)
            Emit(sb, spans, messages[i]);
        if (addGenerationPrompt)
            sb.Append("<|im_start|>assistant\n");
        return new RenderedChat(sb.ToString(), spans);
    }

    private static void Emit(StringBuilder sb, List<(int, int)> spans, ChatMessage m)
    {
        sb.Append("<|im_start|>").Append(m.Role).Append('\n');
        int start = sb.Length;
        sb.Append(m.Content).Append("<|im_end|>");
        if (m.Role == "assistant")
            spans.Add((start, sb.Length));
        sb.Append('\n');
    }
}

/// <summary>Llama 3.x headers; content is stripped as Jinja's <c>trim</c> does; bos before the first message.</summary>
internal sealed class Llama3Template(string bosToken) : ChatTemplate
{
    public override string Family => "llama3";

    public override RenderedChat Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        CheckPlain(messages);
        var sb = new StringBuilder();
        var spans = new List<(int, int)>();
        for (int i = 0; i < messages.Count; i++)
        {
            if (i == 0)
                sb.Append(bosToken);
            sb.Append("<|start_header_id|>").Append(messages[i].Role).Append("<|end_header_id|>\n\n");
            int start = sb.Length;
            sb.Append(PythonStrip(messages[i].Content)).Append("<|eot_id|>");
            if (messages[i].Role == "assistant")
                spans.Add((start, sb.Length));
        }
        if (addGenerationPrompt)
            sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return new RenderedChat(sb.ToString(), spans);
    }

    /// <summary>Python's <c>str.strip()</c>: Unicode whitespace plus the separators \x1c-\x1f.</summary>
    private static string PythonStrip(string s) => s.Trim().Trim('\x1c', '\x1d', '\x1e', '\x1f').Trim();
}
