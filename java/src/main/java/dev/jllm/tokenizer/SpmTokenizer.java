package dev.jllm.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SentencePiece-style BPE from a GGUF vocabulary (tokenizer.ggml.model = "llama"): pieces with scores, merged
 * greedily by the best-scoring pair, byte fallback through {@code <0xXX>} pieces, "▁" for spaces and a leading
 * "▁" (legacy Llama behaviour, as llama2.c and llama.cpp encode).
 */
public final class SpmTokenizer implements Tokenizer {
    private static final int TYPE_CONTROL = 3, TYPE_BYTE = 6;

    private final String[] pieces;
    private final float[] scores;
    private final int[] types;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final int bosId, eosId;
    private final boolean addBos;
    private final String chatTemplate;

    public SpmTokenizer(GgufMetadata meta) {
        List<Object> toks = meta.list("tokenizer.ggml.tokens");
        if (toks == null) throw new IllegalArgumentException("the GGUF file has no tokenizer.ggml.tokens");
        List<Object> sc = meta.list("tokenizer.ggml.scores"), ty = meta.list("tokenizer.ggml.token_type");
        pieces = new String[toks.size()];
        scores = new float[toks.size()];
        types = new int[toks.size()];
        java.util.Arrays.fill(byteIds, -1);
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = (String) toks.get(i);
            scores[i] = sc == null ? 0f : ((Number) sc.get(i)).floatValue();
            types[i] = ty == null ? 1 : ((Number) ty.get(i)).intValue();
            ids.putIfAbsent(pieces[i], i);
            String p = pieces[i];
            if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) byteIds[Integer.parseInt(p.substring(3, 5), 16)] = i;
        }
        bosId = (int) meta.integer("tokenizer.ggml.bos_token_id", -1);
        eosId = (int) meta.integer("tokenizer.ggml.eos_token_id", -1);
        addBos = meta.bool("tokenizer.ggml.add_bos_token", true);
        chatTemplate = meta.string("tokenizer.chat_template");
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens, boolean parseSpecial) {
        List<Integer> out = new ArrayList<>();
        if (addSpecialTokens && addBos && bosId >= 0) out.add(bosId);
        if (parseSpecial) {
            // split at control-token texts, encode the pieces between them
            int start = 0;
            for (int i = 0; i < text.length(); ) {
                int hit = matchControl(text, i);
                if (hit >= 0) {
                    encodeText(text.substring(start, i), out, start == 0);
                    out.add(hit);
                    i += pieces[hit].length();
                    start = i;
                } else {
                    i++;
                }
            }
            encodeText(text.substring(start), out, start == 0);
        } else {
            encodeText(text, out, true);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private int matchControl(String text, int at) {
        int best = -1;
        for (int id = 0; id < pieces.length; id++)
            if (types[id] == TYPE_CONTROL && !pieces[id].isEmpty() && text.startsWith(pieces[id], at)
                    && (best < 0 || pieces[id].length() > pieces[best].length()))
                best = id;
        return best;
    }

    private void encodeText(String text, List<Integer> out, boolean leadingSpace) {
        if (text.isEmpty()) return;
        String norm = (leadingSpace ? "\u2581" : "") + text.replace(' ', '\u2581');
        // 1. one symbol per code point; byte fallback where the code point is not a piece
        List<Integer> syms = new ArrayList<>();
        for (int i = 0; i < norm.length(); ) {
            int cp = norm.codePointAt(i);
            String ch = new String(Character.toChars(cp));
            i += Character.charCount(cp);
            Integer id = ids.get(ch);
            if (id != null) {
                syms.add(id);
            } else {
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) if (byteIds[b & 0xff] >= 0) syms.add(byteIds[b & 0xff]);
            }
        }
        // 2. merge the best-scoring adjacent pair until none merges
        while (true) {
            float best = Float.NEGATIVE_INFINITY;
            int at = -1, merged = -1;
            for (int i = 0; i + 1 < syms.size(); i++) {
                Integer id = ids.get(pieces[syms.get(i)] + pieces[syms.get(i + 1)]);
                if (id != null && scores[id] > best) {
                    best = scores[id];
                    at = i;
                    merged = id;
                }
            }
            if (at < 0) break;
            syms.set(at, merged);
            syms.remove(at + 1);
        }
        out.addAll(syms);
    }

    @Override
    public String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (id < 0 || id >= pieces.length) continue;
            if (types[id] == TYPE_CONTROL) {
                if (!skipSpecialTokens) bytes.writeBytes(pieces[id].getBytes(StandardCharsets.UTF_8));
                continue;
            }
            String p = pieces[id];
            if (types[id] == TYPE_BYTE || (p.length() == 6 && p.startsWith("<0x"))) bytes.write(Integer.parseInt(p.substring(3, 5), 16));
            else bytes.writeBytes(p.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8));
        }
        String s = bytes.toString(StandardCharsets.UTF_8);
        return s.startsWith(" ") ? s.substring(1) : s;  // the dummy-prefix space, as HF's Strip decoder does
    }

    @Override
    public String tokenText(int id) {
        if (id < 0 || id >= pieces.length) return "";
        String p = pieces[id];
        if (types[id] == TYPE_BYTE) {
            int b = Integer.parseInt(p.substring(3, 5), 16);
            return new String(new byte[] {(byte) b}, StandardCharsets.UTF_8);
        }
        return types[id] == TYPE_CONTROL ? p : p.replace('\u2581', ' ');
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= pieces.length || types[id] == TYPE_CONTROL) return null;
        String p = pieces[id];
        if (types[id] == TYPE_BYTE || (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")))
            return new byte[] {(byte) Integer.parseInt(p.substring(3, 5), 16)};
        return p.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override public int vocabSize() { return pieces.length; }
    @Override public int bosId() { return bosId; }
    @Override public int eosId() { return eosId; }
    @Override public Set<Integer> eosIds() { return eosId >= 0 ? Set.of(eosId) : new LinkedHashSet<>(); }
    @Override public boolean isSpecial(int id) { return id >= 0 && id < types.length && types[id] == TYPE_CONTROL; }
    @Override public String bosToken() { return bosId >= 0 ? pieces[bosId] : null; }
    @Override public String eosToken() { return eosId >= 0 ? pieces[eosId] : null; }
    @Override public String chatTemplate() { return chatTemplate; }
    @Override public boolean addsBos() { return addBos && bosId >= 0; }
}
