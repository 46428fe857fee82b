package dev.jllm.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * SentencePiece-style BPE from a GGUF vocabulary (tokenizer.ggml.model = "llama": Llama 2, Mistral, Gemma), as
 * llama.cpp and Hugging Face tokenizers encode it: (1) the text is split at added tokens (control and user-defined),
 * (2) each stretch between them gets the "▁" dummy prefix when it starts the text or follows a token and
 * tokenizer.ggml.add_space_prefix is on (default), spaces become "▁", (3) adjacent pieces merge, best score of the
 * merged piece first (leftmost among equals), and (4) characters outside the vocabulary fall back to {@code <0xXX>}
 * byte pieces. O(n log n) in the text length.
 */
public final class SpmTokenizer implements Tokenizer {
    private static final int TYPE_UNKNOWN = 2, TYPE_CONTROL = 3, TYPE_USER_DEFINED = 4, TYPE_BYTE = 6;
    private static final char SPACE = '\u2581';

    private final String[] pieces;
    private final float[] scores;
    private final int[] types;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final AddedTokens added = new AddedTokens();
    private final int bosId, eosId, unkId;
    private final boolean addBos, addEos, addSpacePrefix;
    private final Set<Integer> eosIds;  // every id that ends generation (GgufEndOfGeneration)
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
            int b = byteValue(i);
            if (isAdded(i)) added.add(pieces[i], i);
            else if (b < 0) ids.putIfAbsent(pieces[i], i);  // byte pieces only by fallback: typed "<0x0A>" is text
            if (b >= 0 && byteIds[b] < 0) byteIds[b] = i;
        }
        bosId = (int) meta.integer("tokenizer.ggml.bos_token_id", -1);
        eosId = (int) meta.integer("tokenizer.ggml.eos_token_id", -1);
        eosIds = GgufEndOfGeneration.ids(meta, pieces);
        unkId = (int) meta.integer("tokenizer.ggml.unknown_token_id", -1);
        addBos = meta.bool("tokenizer.ggml.add_bos_token", true);
        addEos = meta.bool("tokenizer.ggml.add_eos_token", false);
        addSpacePrefix = meta.bool("tokenizer.ggml.add_space_prefix", true);
        chatTemplate = meta.string("tokenizer.chat_template");
    }

    /** The byte a {@code <0xXX>} piece stands for, or -1. */
    private int byteValue(int id) {
        String p = pieces[id];
        if ((types[id] != TYPE_BYTE && types[id] != 1) || p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>') return -1;
        try {
            return Integer.parseInt(p.substring(3, 5), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens, boolean parseSpecial) {
        IntList out = new IntList();
        if (addSpecialTokens && addBos && bosId >= 0) out.add(bosId);
        boolean[] afterToken = {true};  // the text start counts as "after a token" for the dummy prefix
        added.split(text, new AddedTokens.Sink() {
            @Override public void text(String t) {
                encodeText(afterToken[0] && addSpacePrefix ? " " + t : t, out);
                afterToken[0] = false;
            }
            @Override public void token(int id) {
                out.add(id);
                afterToken[0] = true;
            }
        });
        if (addSpecialTokens && addEos && eosId >= 0) out.add(eosId);
        return out.toArray();
    }

    /** A queued merge: the symbols at left and right, merged into a piece of the given score and length. */
    private record Bigram(int left, int right, float score, int length) {}

    private void encodeText(String raw, IntList out) {
        String text = raw.replace(' ', SPACE);
        // 1. one symbol per code point: start offset and length in chars, linked left-right
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n], len = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = at;
            len[i] = Character.charCount(text.codePointAt(at));
            at += len[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // 2. merge the best-scoring pair whose concatenation is a piece, leftmost first among equal scores
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) offer(queue, text, start, len, i, i + 1);
        while (!queue.isEmpty()) {
            Bigram g = queue.poll();
            if (len[g.left] == 0 || len[g.right] == 0 || len[g.left] + len[g.right] != g.length) continue;  // stale
            len[g.left] += len[g.right];
            len[g.right] = 0;
            next[g.left] = next[g.right];
            if (next[g.left] >= 0) prev[next[g.left]] = g.left;
            if (prev[g.left] >= 0) offer(queue, text, start, len, prev[g.left], g.left);
            if (next[g.left] >= 0) offer(queue, text, start, len, g.left, next[g.left]);
        }
        // 3. each symbol's piece, or its UTF-8 bytes as byte pieces
        for (int i = 0; i >= 0 && i < n; i = next[i]) {
            String s = text.substring(start[i], start[i] + len[i]);
            Integer id = ids.get(s);
            if (id != null) { out.add(id); continue; }
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                int bid = byteIds[b & 0xff];
                if (bid >= 0) out.add(bid);
                else if (unkId >= 0) { out.add(unkId); break; }
            }
        }
    }

    private void offer(PriorityQueue<Bigram> queue, String text, int[] start, int[] len, int left, int right) {
        int length = len[left] + len[right];
        Integer id = ids.get(text.substring(start[left], start[left] + length));
        if (id != null) queue.add(new Bigram(left, right, scores[id], length));
    }

    /**
     * Decodes ids[from, to). The dummy-prefix space that encode adds (at the text start and after each token) is
     * removed again, so decode(encode(x)) == x; ids[from - 1] tells whether from starts such a stretch.
     */
    @Override
    public String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean stretchStart = from == 0 || isAdded(ids[from - 1]);
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (id < 0 || id >= pieces.length) continue;
            if (isAdded(id)) {
                if (!skipSpecialTokens || types[id] == TYPE_USER_DEFINED) bytes.writeBytes(pieces[id].getBytes(StandardCharsets.UTF_8));
                stretchStart = true;
                continue;
            }
            byte[] b = tokenBytes(id);
            int skip = stretchStart && addSpacePrefix && b.length > 0 && b[0] == ' ' ? 1 : 0;
            bytes.write(b, skip, b.length - skip);
            stretchStart = false;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Control, unknown and user-defined tokens: matched in the text as wholes, never produced by merges. */
    private boolean isAdded(int id) {
        return id >= 0 && id < types.length && (types[id] == TYPE_CONTROL || types[id] == TYPE_UNKNOWN || types[id] == TYPE_USER_DEFINED);
    }

    @Override
    public String tokenText(int id) {
        if (id < 0 || id >= pieces.length) return "";
        if (isAdded(id)) return pieces[id];
        return new String(tokenBytes(id), StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= pieces.length || isSpecial(id)) return null;
        int b = byteValue(id);
        if (b >= 0) return new byte[] {(byte) b};
        return pieces[id].replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override public int vocabSize() { return pieces.length; }
    @Override public int bosId() { return bosId; }
    @Override public int eosId() { return eosId; }
    @Override public Set<Integer> eosIds() { return eosIds; }
    @Override public boolean isSpecial(int id) { return isAdded(id) && types[id] != TYPE_USER_DEFINED; }
    @Override public String bosToken() { return bosId >= 0 ? pieces[bosId] : null; }
    @Override public String eosToken() { return eosId >= 0 ? pieces[eosId] : null; }
    @Override public String chatTemplate() { return chatTemplate; }
    @Override public boolean addsBos() { return addBos && bosId >= 0; }
}
