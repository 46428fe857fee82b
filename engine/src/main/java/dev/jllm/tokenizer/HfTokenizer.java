package dev.jllm.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face tokenizer.json through DJL (truncation off), plus the vocabulary read directly from tokenizer.json
 * for per-token text. Text that spells an added token is that token (transformers' default, what vLLM users get).
 * Special tokens around the text follow tokenizer.json's TemplateProcessing post-processor (Llama 3 adds BOS only
 * there), unless tokenizer_config.json sets add_bos_token / add_eos_token (as LlamaTokenizerFast and
 * GemmaTokenizerFast then rebuild the template from those flags).
 */
public final class HfTokenizer implements Tokenizer {
    private final HuggingFaceTokenizer djl;
    private final TokenizerConfig config;
    private final String[] pieces;              // id -> vocabulary piece
    private final Set<Integer> special = new HashSet<>();
    private final boolean byteLevel;
    private final int bosId, eosId;
    private final int[] prefixIds, suffixIds;   // added before / after the text when addSpecialTokens
    private final Set<Integer> eosIds = new LinkedHashSet<>();

    public HfTokenizer(Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        config = TokenizerConfig.read(dir);
        djl = HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(false)
                .optTruncation(false).optPadding(false).build();
        JsonNode tj = TokenizerConfig.JSON.readTree(file.toFile());
        Map<String, Integer> ids = new HashMap<>();
        tj.path("model").path("vocab").fields().forEachRemaining(e -> ids.put(e.getKey(), e.getValue().asInt()));
        for (JsonNode t : tj.path("added_tokens")) {
            ids.put(t.path("content").asText(), t.path("id").asInt());
            if (t.path("special").asBoolean(false)) special.add(t.path("id").asInt());
        }
        int size = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        pieces = new String[size];
        ids.forEach((k, v) -> pieces[v] = k);
        byteLevel = tj.path("decoder").toString().contains("ByteLevel") || tj.path("pre_tokenizer").toString().contains("ByteLevel");
        bosId = config.bosToken() == null ? -1 : ids.getOrDefault(config.bosToken(), -1);
        eosId = config.eosToken() == null ? -1 : ids.getOrDefault(config.eosToken(), -1);
        if (eosId >= 0) eosIds.add(eosId);
        eosIds.addAll(config.generationEosIds());
        int[][] template = template(tj.path("post_processor"));
        boolean explicit = config.addBos() != null || config.addEos() != null;
        prefixIds = explicit ? (Boolean.TRUE.equals(config.addBos()) && bosId >= 0 ? new int[] {bosId} : new int[0]) : template[0];
        suffixIds = explicit ? (Boolean.TRUE.equals(config.addEos()) && eosId >= 0 ? new int[] {eosId} : new int[0]) : template[1];
    }

    /** The special-token ids a TemplateProcessing post-processor puts before and after a single sequence. */
    private static int[][] template(JsonNode post) {
        if ("Sequence".equals(post.path("type").asText())) {
            for (JsonNode p : post.path("processors")) if ("TemplateProcessing".equals(p.path("type").asText())) return template(p);
        }
        int[][] out = {new int[0], new int[0]};
        if (!"TemplateProcessing".equals(post.path("type").asText())) return out;
        IntList before = new IntList(), after = new IntList();
        boolean seenText = false;
        for (JsonNode piece : post.path("single")) {
            if (piece.has("Sequence")) { seenText = true; continue; }
            String name = piece.path("SpecialToken").path("id").asText();
            for (JsonNode id : post.path("special_tokens").path(name).path("ids")) (seenText ? after : before).add(id.asInt());
        }
        return new int[][] {before.toArray(), after.toArray()};
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens, boolean parseSpecial) {
        long[] raw = djl.encode(text, false, false).getIds();
        IntList out = new IntList();
        if (addSpecialTokens) out.addAll(prefixIds);
        for (long id : raw) out.add((int) id);
        if (addSpecialTokens) out.addAll(suffixIds);
        return out.toArray();
    }

    /**
     * Decodes ids[from, to) stretch by stretch between special tokens, as encode produced them: a SentencePiece
     * decoder's Strip then removes the dummy-prefix space of each stretch, so decode(encode(x)) == x.
     */
    @Override
    public String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        StringBuilder out = new StringBuilder();
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i < to && !special.contains(ids[i])) continue;
            if (i > start) out.append(djl.decode(longs(ids, start, i), skipSpecialTokens));
            if (i < to && !skipSpecialTokens) out.append(pieces[ids[i]]);
            start = i + 1;
        }
        return out.toString();
    }

    private static long[] longs(int[] ids, int from, int to) {
        long[] l = new long[to - from];
        for (int i = from; i < to; i++) l[i - from] = ids[i];
        return l;
    }

    @Override
    public String tokenText(int id) {
        if (id < 0 || id >= pieces.length || pieces[id] == null) return "";
        String p = pieces[id];
        if (special.contains(id)) return p;
        if (byteLevel) return ByteLevel.decode(p);
        if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
            int b = Integer.parseInt(p.substring(3, 5), 16);
            return b < 0x80 ? String.valueOf((char) b) : new String(new byte[] {(byte) b}, StandardCharsets.UTF_8);
        }
        return p.replace('\u2581', ' ');
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= pieces.length || pieces[id] == null || special.contains(id)) return null;
        String p = pieces[id];
        if (byteLevel) return ByteLevel.bytes(p);
        if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) return new byte[] {(byte) Integer.parseInt(p.substring(3, 5), 16)};
        return p.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override public int vocabSize() { return pieces.length; }
    @Override public int bosId() { return bosId; }
    @Override public int eosId() { return eosId; }
    @Override public Set<Integer> eosIds() { return eosIds; }
    @Override public boolean isSpecial(int id) { return special.contains(id); }
    @Override public String bosToken() { return config.bosToken(); }
    @Override public String eosToken() { return config.eosToken(); }
    @Override public boolean addsBos() { return prefixIds.length > 0 && prefixIds[0] == bosId; }

    @Override
    public String chatTemplate() {
        JsonNode t = config.chatTemplate();
        if (t == null || t.isNull()) return null;
        if (t.isTextual()) return t.asText();
        for (JsonNode named : t) if ("default".equals(named.path("name").asText())) return named.path("template").asText();
        return t.size() > 0 ? t.get(0).path("template").asText() : null;
    }

    /** Named templates (tokenizer_config.json's list form), e.g. "tool_use". */
    public String namedChatTemplate(String name) {
        JsonNode t = config.chatTemplate();
        if (t == null || !t.isArray()) return null;
        for (JsonNode named : t) if (name.equals(named.path("name").asText())) return named.path("template").asText();
        return null;
    }

    @Override
    public void close() {
        djl.close();
    }
}
