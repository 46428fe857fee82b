package dev.jllm.tokenizer;

import java.util.Set;
import java.util.TreeSet;

/**
 * The token ids that end generation for a GGUF vocabulary, decided as llama.cpp does (llama-vocab.cpp, its
 * end-of-generation list): the EOS id, the ids named by {@code tokenizer.ggml.eot_token_id}, {@code eom_token_id} and
 * the fill-in-the-middle {@code fim_pad/fim_rep/fim_sep_token_id} keys, and every token whose text is one of the
 * end-of-turn markers below, whatever its type. GGUF files often name only EOS ({@code <|end_of_text|>} for Llama 3,
 * {@code <|endoftext|>} for Qwen) while chat turns end with {@code <|eot_id|>} or {@code <|im_end|>}.
 */
final class GgufEndOfGeneration {
    /** Token texts that end generation (llama.cpp's list, the models that use them in comments there). */
    static final Set<String> TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
            "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>",
            "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[",
            // fill-in-the-middle padding, repository and file separators (Qwen2.5 names them by text only)
            "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>");
    private static final String[] ID_KEYS = {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
            "tokenizer.ggml.eom_token_id", "tokenizer.ggml.fim_pad_token_id", "tokenizer.ggml.fim_rep_token_id",
            "tokenizer.ggml.fim_sep_token_id"};

    private GgufEndOfGeneration() {}

    /** The end-of-generation ids of a vocabulary whose token texts are {@code pieces}; ids outside it are dropped. */
    static Set<Integer> ids(GgufMetadata meta, String[] pieces) {
        TreeSet<Integer> out = new TreeSet<>();
        for (String key : ID_KEYS) {
            long id = meta.integer(key, -1);
            if (id >= 0 && id < pieces.length) out.add((int) id);
        }
        for (int i = 0; i < pieces.length; i++)
            if (TEXTS.contains(pieces[i])) out.add(i);
        return Set.copyOf(out);
    }
}
