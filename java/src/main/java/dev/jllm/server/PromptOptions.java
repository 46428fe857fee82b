package dev.jllm.server;

import dev.jllm.tokenizer.ChatTemplate;
import dev.jllm.tokenizer.ContentFormat;
import dev.jllm.tokenizer.RenderLimits;
import dev.jllm.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;

/**
 * How the server turns request text into prompt tokens, on every route: the chat-template render limits, whether a
 * request may bring its own template (vLLM's --trust-request-chat-template), and the bound that refuses text far
 * over the context before it is tokenized.
 *
 * <p>The bound: one token covers at most {@code maxTokenBytes} bytes of (normalized) text, a normalizer shrinks text
 * at most {@link #NORMALIZER_SHRINK}× (NFKC maps the 4-byte 𝐀 to A), and a UTF-16 char is at least one UTF-8 byte;
 * so text of more than max_model_len × maxTokenBytes × 4 chars has more than max_model_len tokens, whatever they
 * are. Such text is refused with a 400 at once, as is text over the render limit's character bound, which is also
 * the most any route hands the tokenizer.
 *
 * @param renderLimits              time and output bounds of every template rendering
 * @param trustRequestChatTemplate  whether `chat_template` (or chat_template_kwargs.chat_template) in a request is used
 * @param maxTokenBytes             the most bytes of text one vocabulary entry stands for (special tokens: their text)
 * @param contentFormat             message content as templates get it (--chat-template-content-format); null: auto,
 *                                  each template's own (ChatTemplate.contentFormat())
 */
public record PromptOptions(RenderLimits renderLimits, boolean trustRequestChatTemplate, int maxTokenBytes, ContentFormat contentFormat) {
    static final int NORMALIZER_SHRINK = 4;

    public PromptOptions {
        if (maxTokenBytes < 1) throw new IllegalArgumentException("maxTokenBytes must be positive, got " + maxTokenBytes);
    }

    public PromptOptions(RenderLimits renderLimits, boolean trustRequestChatTemplate, int maxTokenBytes) {
        this(renderLimits, trustRequestChatTemplate, maxTokenBytes, null);
    }

    /** Options for a tokenizer: maxTokenBytes from its vocabulary (one pass over it). */
    public static PromptOptions of(Tokenizer tok, RenderLimits limits, boolean trustRequestChatTemplate) {
        return of(tok, limits, trustRequestChatTemplate, null);
    }

    public static PromptOptions of(Tokenizer tok, RenderLimits limits, boolean trustRequestChatTemplate, ContentFormat contentFormat) {
        return new PromptOptions(limits, trustRequestChatTemplate, maxTokenBytes(tok), contentFormat);
    }

    /** The content format of messages rendered by `template`: the server's option, else the template's own. */
    ContentFormat contentFormat(ChatTemplate template) {
        return contentFormat != null ? contentFormat : template.contentFormat();
    }

    /** The most bytes one token of the vocabulary stands for: its raw bytes, or its text for special tokens. */
    static int maxTokenBytes(Tokenizer tok) {
        int max = 1;
        for (int id = 0; id < tok.vocabSize(); id++) {
            byte[] raw = tok.tokenBytes(id);
            String text = tok.tokenText(id);
            if (raw != null) max = Math.max(max, raw.length);
            if (text != null) max = Math.max(max, text.getBytes(StandardCharsets.UTF_8).length);
        }
        return max;
    }

    /** The most chars a prompt may have: more would be over max_model_len tokens, or over the render limit. */
    public long maxPromptChars(int maxModelLen) {
        return Math.min(renderLimits.maxOutputChars(), (long) maxModelLen * maxTokenBytes * NORMALIZER_SHRINK);
    }

    /** The render limits of a chat prompt: output bounded by maxPromptChars. */
    RenderLimits chatLimits(int maxModelLen) {
        return renderLimits.withMaxOutputChars(maxPromptChars(maxModelLen));
    }

    /** Refuses text longer than maxPromptChars before it reaches the tokenizer. */
    void checkLength(long chars, int maxModelLen, String what, String param) {
        if (chars > maxPromptChars(maxModelLen)) throw tooLong(chars, maxModelLen, what, param);
    }

    /** The 400 for a prompt of more than maxPromptChars chars (chars: its length, or the least it is known to be). */
    ApiException tooLong(long chars, int maxModelLen, String what, String param) {
        long contextChars = (long) maxModelLen * maxTokenBytes * NORMALIZER_SHRINK;
        if (contextChars <= renderLimits.maxOutputChars())
            return ApiException.badRequest("This model's maximum context length is " + maxModelLen + " tokens. However, your "
                    + what + " has " + (chars > contextChars ? "more than " + contextChars : chars) + " characters, which is more than "
                    + maxModelLen + " tokens (a token of this model covers at most " + maxTokenBytes + " bytes), so it was not"
                    + " tokenized. Please reduce the length of the " + what + ".", param);
        return ApiException.badRequest("Your " + what + " has more than " + renderLimits.maxOutputChars()
                + " characters, the most this server renders or tokenizes (--max-prompt-chars); this model's maximum context"
                + " length is " + maxModelLen + " tokens. Please reduce the length of the " + what + ".", param);
    }
}
