package dev.jllm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** GGUF vocabularies stop at end-of-turn tokens, not only at tokenizer.ggml.eos_token_id (llama.cpp's EOG list). */
class GgufEndOfGenerationTest {
    @Test
    void llama3ByteBpeStopsAtEotIdAsWellAsEos() {
        // ByteBpeTokenizerTest's vocabulary: 265 <|begin_of_text|>, 266 <|eot_id|>, then the extra control tokens;
        // EOS names <|end_of_text|> (267), as Llama 3 GGUF files do.
        List<Object> tokens = new ArrayList<>(), types = new ArrayList<>();
        for (int b = 0; b < 256; b++) { tokens.add(String.valueOf(ByteLevel.byteToChar(b))); types.add(1L); }
        for (String t : List.of("<|begin_of_text|>", "<|eot_id|>", "<|end_of_text|>", "<|eom_id|>", "<|start_header_id|>")) {
            tokens.add(t);
            types.add(3L);
        }
        Map<String, Object> meta = new HashMap<>(Map.of("tokenizer.ggml.model", "gpt2", "tokenizer.ggml.tokens", tokens,
                "tokenizer.ggml.token_type", types, "tokenizer.ggml.merges", List.of(), "tokenizer.ggml.pre", "llama-bpe",
                "tokenizer.ggml.bos_token_id", 256L, "tokenizer.ggml.eos_token_id", 258L));
        assertEquals(Set.of(257, 258, 259), new ByteBpeTokenizer(new GgufMetadata(meta)).eosIds());
    }

    @Test
    void metadataIdsCountEvenWithoutAKnownText() {
        // eot/eom keys name ids whose text is not in the list; an id past the vocabulary is dropped
        List<Object> tokens = new ArrayList<>(), scores = new ArrayList<>(), types = new ArrayList<>();
        for (String t : List.of("<unk>", "<s>", "<stop>", "<halt>", "a", "b")) {
            tokens.add(t);
            scores.add(0.0);
            types.add(t.startsWith("<") ? 3L : 1L);
        }
        Map<String, Object> meta = new HashMap<>(Map.of("tokenizer.ggml.model", "llama", "tokenizer.ggml.tokens", tokens,
                "tokenizer.ggml.scores", scores, "tokenizer.ggml.token_type", types, "tokenizer.ggml.bos_token_id", 1L,
                "tokenizer.ggml.eos_token_id", 99L, "tokenizer.ggml.eot_token_id", 2L, "tokenizer.ggml.eom_token_id", 3L));
        assertEquals(Set.of(2, 3), new SpmTokenizer(new GgufMetadata(meta)).eosIds());
    }

    @Test
    void qwenChatMarkersEndGeneration() {
        String[] pieces = {"a", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_pad|>", "<|file_sep|>", "<think>"};
        GgufMetadata meta = new GgufMetadata(Map.of("tokenizer.ggml.eos_token_id", 1L));
        assertEquals(Set.of(1, 3, 4, 5), GgufEndOfGeneration.ids(meta, pieces));
    }
}
