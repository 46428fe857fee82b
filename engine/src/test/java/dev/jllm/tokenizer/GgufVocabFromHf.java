package dev.jllm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * GGUF tokenizer metadata built from a Hugging Face tokenizer.json the way llama.cpp's convert_hf_to_gguf.py writes
 * it, so the GGUF tokenizers can be checked against the HF path on the same vocabulary:
 * <ul>
 *   <li>byte-level BPE ("gpt2", _set_vocab_gpt2): tokens by id, added tokens that are special or look special
 *       ({@code <|...|>}, {@code <unused..>}, {@code <pad>}, {@code <mask>}) CONTROL (3), other added tokens
 *       USER_DEFINED (4), merges as "left right", tokenizer.ggml.pre as given;</li>
 *   <li>SentencePiece BPE ("llama", _set_vocab_sentencepiece): {@code <0xXX>} pieces BYTE (6), added tokens as
 *       above with "▁" written back as spaces in user-defined ones ("pre-normalize user-defined spaces") and score
 *       -1000; piece scores from the merge order (tokenizer.json's merges of an SPM vocabulary are ordered by the
 *       SentencePiece score of the merged piece, so -rank restores that order).</li>
 * </ul>
 */
final class GgufVocabFromHf {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final long NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    private GgufVocabFromHf() {}

    static Map<String, Object> byteLevel(Path dir, String pre, boolean addBos) throws IOException {
        JsonNode tj = JSON.readTree(dir.resolve("tokenizer.json").toFile());
        Vocab v = vocab(tj);
        List<Object> tokens = new ArrayList<>(), types = new ArrayList<>(), merges = new ArrayList<>();
        for (int id = 0; id < v.pieces.length; id++) {
            String p = v.pieces[id];
            tokens.add(p == null ? "[PAD" + id + "]" : p);
            types.add(p == null ? UNUSED : v.added[id] == 0 ? NORMAL : v.added[id] == 2 || looksSpecial(p) ? CONTROL : USER_DEFINED);
        }
        for (JsonNode m : tj.path("model").path("merges")) merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        Map<String, Object> meta = common(dir, v, tokens, types, addBos);
        meta.put("tokenizer.ggml.model", "gpt2");
        meta.put("tokenizer.ggml.pre", pre);
        meta.put("tokenizer.ggml.merges", merges);
        return meta;
    }

    static Map<String, Object> sentencePiece(Path dir, boolean addSpacePrefix) throws IOException {
        JsonNode tj = JSON.readTree(dir.resolve("tokenizer.json").toFile());
        Vocab v = vocab(tj);
        // 1. score of a piece: minus the rank of the first merge producing it
        Map<String, Integer> firstRank = new HashMap<>();
        int rank = 0;
        for (JsonNode m : tj.path("model").path("merges")) {
            String merged = m.isArray() ? m.get(0).asText() + m.get(1).asText() : m.asText().replace(" ", "");
            firstRank.putIfAbsent(merged, rank++);
        }
        List<Object> tokens = new ArrayList<>(), types = new ArrayList<>(), scores = new ArrayList<>();
        for (int id = 0; id < v.pieces.length; id++) {
            String p = v.pieces[id];
            long type = p == null ? UNUSED : v.added[id] == 2 || (v.added[id] == 1 && looksSpecial(p)) ? CONTROL
                    : v.added[id] == 1 ? USER_DEFINED : p.matches("<0x[0-9A-F]{2}>") ? BYTE : NORMAL;
            if (type == USER_DEFINED) p = p.replace('\u2581', ' ');
            tokens.add(p == null ? "[PAD" + id + "]" : p);
            types.add(type);
            scores.add(type == CONTROL || type == USER_DEFINED ? -1000.0 : firstRank.containsKey(p) ? -(double) firstRank.get(p) : 0.0);
        }
        Map<String, Object> meta = common(dir, v, tokens, types, true);
        meta.put("tokenizer.ggml.model", "llama");
        meta.put("tokenizer.ggml.scores", scores);
        meta.put("tokenizer.ggml.add_space_prefix", addSpacePrefix);
        return meta;
    }

    /** convert_hf_to_gguf's does_token_look_special. */
    static boolean looksSpecial(String t) {
        return Arrays.asList("<pad>", "<mask>", "<2mass>", "[@BOS@]").contains(t) || (t.startsWith("<|") && t.endsWith("|>"))
                || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>")) || (t.startsWith("<unused") && t.endsWith(">"));
    }

    private record Vocab(String[] pieces, int[] added) {}  // added: 0 model vocab, 1 added token, 2 special added token

    private static Vocab vocab(JsonNode tj) {
        Map<Integer, String> byId = new HashMap<>();
        Map<Integer, Integer> addedKind = new HashMap<>();
        tj.path("model").path("vocab").fields().forEachRemaining(e -> byId.put(e.getValue().asInt(), e.getKey()));
        for (JsonNode t : tj.path("added_tokens")) {
            byId.put(t.path("id").asInt(), t.path("content").asText());
            addedKind.put(t.path("id").asInt(), t.path("special").asBoolean() ? 2 : 1);
        }
        int n = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        String[] pieces = new String[n];
        int[] added = new int[n];
        byId.forEach((id, p) -> pieces[id] = p);
        addedKind.forEach((id, k) -> added[id] = k);
        return new Vocab(pieces, added);
    }

    private static Map<String, Object> common(Path dir, Vocab v, List<Object> tokens, List<Object> types, boolean addBos) throws IOException {
        JsonNode tc = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        Map<String, Object> meta = new HashMap<>();
        meta.put("tokenizer.ggml.tokens", tokens);
        meta.put("tokenizer.ggml.token_type", types);
        meta.put("tokenizer.ggml.add_bos_token", addBos);
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < v.pieces.length; i++) if (v.pieces[i] != null) ids.putIfAbsent(v.pieces[i], i);
        for (String k : List.of("bos", "eos", "unk", "pad")) {
            JsonNode t = tc.path(k + "_token");
            String text = t.isTextual() ? t.asText() : t.path("content").asText(null);
            if (text != null && ids.containsKey(text))
                meta.put("tokenizer.ggml." + (k.equals("unk") ? "unknown" : k.equals("pad") ? "padding" : k) + "_token_id", (long) ids.get(text));
        }
        if (tc.path("chat_template").isTextual()) meta.put("tokenizer.chat_template", tc.path("chat_template").asText());
        return meta;
    }
}
