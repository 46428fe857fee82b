package dev.jllm.tokenizer;

import java.util.Set;

/** Text ↔ token ids for one model. Implementations are thread-safe. */
public interface Tokenizer extends AutoCloseable {
    /**
     * Encodes text. Text that spells an added or special token ("</s>", "<|im_end|>", "<think>") is that token, as
     * transformers and vLLM encode by default; decode(encode(x)) == x when special tokens are not skipped.
     * parseSpecial no longer changes the result (kept for existing callers).
     */
    int[] encode(String text, boolean addSpecialTokens, boolean parseSpecial);

    /** Decodes ids[from, to). */
    String decode(int[] ids, int from, int to, boolean skipSpecialTokens);

    /** The text one token stands for on its own, for logprob entries (byte tokens as their raw byte's text). */
    String tokenText(int id);

    /** The raw UTF-8 bytes a token contributes to the text (a byte-fallback token: its one byte); null for special tokens. */
    default byte[] tokenBytes(int id) {
        return isSpecial(id) ? null : tokenText(id).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    int vocabSize();

    /** -1 when the model has none. */
    int bosId();

    /** The ids that end generation (EOS plus generation_config's eos_token_id list; for GGUF vocabularies, GgufEndOfGeneration). */
    Set<Integer> eosIds();

    int eosId();

    boolean isSpecial(int id);

    String bosToken();

    String eosToken();

    /** The chat template the model files carry, or null. */
    String chatTemplate();

    /** Whether encode(..., addSpecialTokens=true) prepends BOS. */
    boolean addsBos();

    @Override
    default void close() {}
}
