package dev.jllm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE from a GGUF vocabulary (tokenizer.ggml.model = "gpt2"; Llama 3, Qwen2, SmolLM2 GGUF files):
 * the text is split by the pre-tokenizer regex tokenizer.ggml.pre names, each piece's UTF-8 bytes are mapped to
 * GPT-2's printable characters, and merges apply in rank order (tokenizer.ggml.merges, "left right").
 */
public final class ByteBpeTokenizer implements Tokenizer {
    private static final int TYPE_CONTROL = 3, TYPE_USER_DEFINED = 4;

    /** Pre-tokenizer patterns by tokenizer.ggml.pre. */
    static Pattern preTokenizer(String pre) {
        String llama3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        String qwen2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        String gpt2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
        String p = switch (pre == null ? "default" : pre) {
            case "llama3", "llama-bpe", "llama-v3", "dbrx", "smaug-bpe" -> llama3;
            case "qwen2", "deepseek-r1-qwen" -> qwen2;
            default -> gpt2;
        };
        return Pattern.compile(p, Pattern.UNICODE_CHARACTER_CLASS);
    }

    private final String[] pieces;
    private final int[] types;
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, Integer> mergeRank = new HashMap<>();
    private final Pattern pre;
    private final int bosId, eosId;
    private final boolean addBos;
    private final String chatTemplate;
    private final List<Integer> specials = new ArrayList<>();  // control and user-defined tokens, longest first

    public ByteBpeTokenizer(GgufMetadata meta) {
        List<Object> toks = meta.list("tokenizer.ggml.tokens"), ty = meta.list("tokenizer.ggml.token_type");
        List<Object> merges = meta.list("tokenizer.ggml.merges");
        if (toks == null || merges == null) throw new IllegalArgumentException("the GGUF file lacks tokenizer.ggml.tokens or merges");
        pieces = new String[toks.size()];
        types = new int[toks.size()];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = (String) toks.get(i);
            types[i] = ty == null ? 1 : ((Number) ty.get(i)).intValue();
            ids.putIfAbsent(pieces[i], i);
            if ((types[i] == TYPE_CONTROL || types[i] == TYPE_USER_DEFINED) && !pieces[i].isEmpty()) specials.add(i);
        }
        specials.sort((a, b) -> pieces[b].length() - pieces[a].length());
        for (int r = 0; r < merges.size(); r++) mergeRank.putIfAbsent((String) merges.get(r), r);
        pre = preTokenizer(meta.string("tokenizer.ggml.pre"));
        bosId = (int) meta.integer("tokenizer.ggml.bos_token_id", -1);
        eosId = (int) meta.integer("tokenizer.ggml.eos_token_id", -1);
        addBos = meta.bool("tokenizer.ggml.add_bos_token", false);
        chatTemplate = meta.string("tokenizer.chat_template");
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens, boolean parseSpecial) {
        List<Integer> out = new ArrayList<>();
        if (addSpecialTokens && addBos && bosId >= 0) out.add(bosId);
        int start = 0;
        if (parseSpecial) {
            for (int i = 0; i < text.length(); ) {
                int hit = -1;
                for (int id : specials) if (text.startsWith(pieces[id], i)) { hit = id; break; }
                if (hit < 0) { i++; continue; }
                encodeText(text.substring(start, i), out);
                out.add(hit);
                i += pieces[hit].length();
                start = i;
            }
        }
        encodeText(text.substring(start), out);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodeText(String text, List<Integer> out) {
        Matcher m = pre.matcher(text);
        while (m.find()) {
            StringBuilder mapped = new StringBuilder();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) mapped.append(ByteLevel.byteToChar(b & 0xff));
            bpe(mapped.toString(), out);
        }
    }

    /** Merges the lowest-ranked adjacent pair until none is in the merge table. */
    private void bpe(String word, List<Integer> out) {
        Integer whole = ids.get(word);
        if (whole != null && types[whole] != TYPE_CONTROL) {
            out.add(whole);
            return;
        }
        List<String> parts = new ArrayList<>();
        word.codePoints().forEach(cp -> parts.add(new String(Character.toChars(cp))));
        while (parts.size() > 1) {
            int best = -1, bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < parts.size(); i++) {
                Integer r = mergeRank.get(parts.get(i) + " " + parts.get(i + 1));
                if (r != null && r < bestRank) { bestRank = r; best = i; }
            }
            if (best < 0) break;
            parts.set(best, parts.get(best) + parts.get(best + 1));
            parts.remove(best + 1);
        }
        for (String p : parts) {
            Integer id = ids.get(p);
            if (id != null) out.add(id);
            else for (char c : p.toCharArray()) { Integer b = ids.get(String.valueOf(c)); if (b != null) out.add(b); }
        }
    }

    @Override
    public String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (id < 0 || id >= pieces.length) continue;
            if (types[id] == TYPE_CONTROL) {
                if (!skipSpecialTokens) b.append(pieces[id]);
                continue;
            }
            b.append(types[id] == TYPE_USER_DEFINED ? bytesOf(pieces[id]) : pieces[id]);
        }
        return ByteLevel.decode(b.toString());
    }

    /** A user-defined token's text in byte-level form, so decode maps it back unchanged. */
    private static String bytesOf(String text) {
        StringBuilder b = new StringBuilder();
        for (byte x : text.getBytes(StandardCharsets.UTF_8)) b.append(ByteLevel.byteToChar(x & 0xff));
        return b.toString();
    }

    @Override
    public String tokenText(int id) {
        if (id < 0 || id >= pieces.length) return "";
        return types[id] == TYPE_CONTROL || types[id] == TYPE_USER_DEFINED ? pieces[id] : ByteLevel.decode(pieces[id]);
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= pieces.length || types[id] == TYPE_CONTROL) return null;
        return types[id] == TYPE_USER_DEFINED ? pieces[id].getBytes(StandardCharsets.UTF_8) : ByteLevel.bytes(pieces[id]);
    }

    @Override public int vocabSize() { return pieces.length; }
    @Override public int bosId() { return bosId; }
    @Override public int eosId() { return eosId; }
    @Override public Set<Integer> eosIds() { return eosId >= 0 ? Set.of(eosId) : Set.of(); }
    @Override public boolean isSpecial(int id) { return id >= 0 && id < types.length && types[id] == TYPE_CONTROL; }
    @Override public String bosToken() { return bosId >= 0 ? pieces[bosId] : null; }
    @Override public String eosToken() { return eosId >= 0 ? pieces[eosId] : null; }
    @Override public String chatTemplate() { return chatTemplate; }
    @Override public boolean addsBos() { return addBos && bosId >= 0; }
}
