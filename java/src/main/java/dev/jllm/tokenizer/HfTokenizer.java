package dev.jllm.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face tokenizer.json through DJL (truncation off, special tokens added by us), plus the vocabulary
 * read directly from tokenizer.json for per-token text and for encoding special-token look-alikes as plain text.
 */
public final class HfTokenizer implements Tokenizer {
    private final HuggingFaceTokenizer djl;
    private final TokenizerConfig config;
    private final String[] pieces;              // id -> vocabulary piece
    private final Map<String, Integer> pieceIds;
    private final Set<Integer> special = new HashSet<>();
    private final List<String> specialTexts = new ArrayList<>();  // longest first
    private final boolean byteLevel;
    private final int bosId, eosId;
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
            if (t.path("special").asBoolean(false)) {
                special.add(t.path("id").asInt());
                specialTexts.add(t.path("content").asText());
            }
        }
        specialTexts.sort((a, b) -> b.length() - a.length());
        int size = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        pieces = new String[size];
        ids.forEach((k, v) -> pieces[v] = k);
        pieceIds = ids;
        byteLevel = tj.path("decoder").toString().contains("ByteLevel") || tj.path("pre_tokenizer").toString().contains("ByteLevel");
        bosId = config.bosToken() == null ? -1 : ids.getOrDefault(config.bosToken(), -1);
        eosId = config.eosToken() == null ? -1 : ids.getOrDefault(config.eosToken(), -1);
        if (eosId >= 0) eosIds.add(eosId);
        eosIds.addAll(config.generationEosIds());
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens, boolean parseSpecial) {
        Encoding enc = djl.encode(text, false, false);
        long[] raw = enc.getIds();
        List<Integer> out = new ArrayList<>(raw.length + 2);
        if (addSpecialTokens && config.addBos() && bosId >= 0) out.add(bosId);
        boolean lookalikes = !parseSpecial && containsSpecialText(text);
        for (long id : raw) {
            if (lookalikes && special.contains((int) id)) {
                for (int p : plainPieces(pieces[(int) id])) out.add(p);
            } else {
                out.add((int) id);
            }
        }
        if (addSpecialTokens && config.addEos() && eosId >= 0) out.add(eosId);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private boolean containsSpecialText(String text) {
        for (String s : specialTexts) if (text.contains(s)) return true;
        return false;
    }

    /** Ids spelling text character by character from ordinary pieces (byte fallback where a character is missing). */
    private List<Integer> plainPieces(String text) {
        List<Integer> out = new ArrayList<>();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            String piece = byteLevel ? String.valueOf(ByteLevel.byteToChar(b & 0xff)) : String.valueOf((char) (b & 0xff));
            Integer id = (b & 0x80) == 0 ? pieceIds.get(piece) : null;
            if (id == null) id = pieceIds.get(String.format("<0x%02X>", b & 0xff));
            if (id != null) out.add(id);
        }
        return out;
    }

    @Override
    public String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        long[] l = new long[to - from];
        for (int i = from; i < to; i++) l[i - from] = ids[i];
        return djl.decode(l, skipSpecialTokens);
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
    @Override public boolean addsBos() { return config.addBos() && bosId >= 0; }

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
