package dev.jllm.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE from a GGUF vocabulary (tokenizer.ggml.model = "gpt2"; Llama 3, Qwen2/3, SmolLM2, DeepSeek GGUF
 * files), as Hugging Face tokenizers encodes the same vocabulary: (1) the text is split at added tokens (control and
 * user-defined, e.g. "<|im_start|>", "<think>"), (2) each stretch between them is normalized and pre-tokenized as
 * tokenizer.ggml.pre names, (3) each piece's UTF-8 bytes become GPT-2's printable characters and (4) merges apply,
 * lowest rank first, leftmost first among equal ranks (tokenizer.ggml.merges, "left right").
 */
public final class ByteBpeTokenizer implements Tokenizer {
    private static final int TYPE_UNKNOWN = 2, TYPE_CONTROL = 3, TYPE_USER_DEFINED = 4;
    private static final int CACHE_LIMIT = 100_000;

    private final String[] pieces;
    private final int[] types;
    private final Map<String, Integer> ids;
    private final MergeTable merges;
    private final int[] byteIds = new int[256];             // byte -> id of its one-character piece
    private final AddedTokens added = new AddedTokens();
    private final BpePreTokenizer pre;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final int bosId, eosId;
    private final boolean addBos, addEos;
    private final Set<Integer> eosIds;  // every id that ends generation (GgufEndOfGeneration)
    private final String chatTemplate;

    public ByteBpeTokenizer(GgufMetadata meta) {
        // 1. vocabulary: pieces, types, added tokens
        List<Object> toks = meta.list("tokenizer.ggml.tokens"), ty = meta.list("tokenizer.ggml.token_type");
        List<Object> mergeList = meta.list("tokenizer.ggml.merges");
        if (toks == null || mergeList == null) throw new IllegalArgumentException("the GGUF file lacks tokenizer.ggml.tokens or merges");
        pre = BpePreTokenizer.forName(meta.string("tokenizer.ggml.pre"));
        pieces = new String[toks.size()];
        types = new int[toks.size()];
        ids = new HashMap<>(2 * pieces.length);
        merges = new MergeTable(mergeList.size());
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = (String) toks.get(i);
            types[i] = ty == null ? 1 : ((Number) ty.get(i)).intValue();
            if (types[i] == TYPE_CONTROL || types[i] == TYPE_UNKNOWN || types[i] == TYPE_USER_DEFINED) added.add(pieces[i], i);
            else ids.putIfAbsent(pieces[i], i);
        }
        java.util.Arrays.fill(byteIds, -1);
        for (int b = 0; b < 256; b++) byteIds[b] = ids.getOrDefault(String.valueOf(ByteLevel.byteToChar(b)), -1);
        // 2. merges by id pair
        for (int r = 0; r < mergeList.size(); r++) {
            String m = (String) mergeList.get(r);
            int sp = m.indexOf(' ', 1);
            if (sp < 0) continue;
            String left = m.substring(0, sp), right = m.substring(sp + 1);
            Integer l = ids.get(left), rt = ids.get(right), to = ids.get(left.concat(right));
            if (l != null && rt != null && to != null) merges.putIfAbsent(l, rt, r, to);
        }
        bosId = (int) meta.integer("tokenizer.ggml.bos_token_id", -1);
        eosId = (int) meta.integer("tokenizer.ggml.eos_token_id", -1);
        eosIds = GgufEndOfGeneration.ids(meta, pieces);
        addBos = meta.bool("tokenizer.ggml.add_bos_token", false);
        addEos = meta.bool("tokenizer.ggml.add_eos_token", false);
        chatTemplate = meta.string("tokenizer.chat_template");
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens, boolean parseSpecial) {
        IntList out = new IntList();
        if (addSpecialTokens && addBos && bosId >= 0) out.add(bosId);
        added.split(text, new AddedTokens.Sink() {
            @Override public void text(String t) { pre.split(t, word -> out.addAll(word(word))); }
            @Override public void token(int id) { out.add(id); }
        });
        if (addSpecialTokens && addEos && eosId >= 0) out.add(eosId);
        return out.toArray();
    }

    /** The ids of one pre-tokenized piece (cached: prose repeats its words). */
    private int[] word(String word) {
        int[] hit = cache.get(word);
        if (hit != null) return hit;
        int[] ids = bpe(word);
        if (cache.size() >= CACHE_LIMIT) cache.clear();
        cache.put(word, ids);
        return ids;
    }

    /** Merges the lowest-ranked adjacent pair (leftmost among equals) until no pair is in the merge table. */
    private int[] bpe(String word) {
        // 1. one symbol per UTF-8 byte (GPT-2 character); with ignore_merges a whole-word piece wins outright
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        if (pre.ignoreMerges()) {
            StringBuilder mapped = new StringBuilder(bytes.length);
            for (byte b : bytes) mapped.append(ByteLevel.byteToChar(b & 0xff));
            Integer whole = ids.get(mapped.toString());
            if (whole != null) return new int[] {whole};
        }
        int n = bytes.length;
        int[] sym = new int[n], next = new int[n], prev = new int[n];
        for (int i = 0; i < n; i++) { sym[i] = byteIds[bytes[i] & 0xff]; prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }
        // 2. queue of candidate merges: (rank << 32 | left position), smallest first
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) offer(queue, sym, i, i + 1);
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int left = (int) top, rank = (int) (top >>> 32), right = next[left];
            if (sym[left] < 0 || right < 0) continue;  // merged away, or now last
            long m = merges.get(sym[left], sym[right]);
            if (m < 0 || (int) (m >>> 32) != rank) continue;  // stale: a neighbour changed since queued
            sym[left] = (int) m;
            sym[right] = -1;
            next[left] = next[right];
            if (next[left] >= 0) prev[next[left]] = left;
            if (prev[left] >= 0) offer(queue, sym, prev[left], left);
            if (next[left] >= 0) offer(queue, sym, left, next[left]);
        }
        IntList out = new IntList();
        for (int i = 0; i >= 0 && i < n; i = next[i]) if (sym[i] >= 0) out.add(sym[i]);
        return out.toArray();
    }

    private void offer(PriorityQueue<Long> queue, int[] sym, int left, int right) {
        if (sym[left] < 0 || sym[right] < 0) return;
        long m = merges.get(sym[left], sym[right]);
        if (m >= 0) queue.add((m & 0xffffffff00000000L) | left);
    }

    @Override
    public String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            byte[] t = tokenBytes(ids[i]);
            if (t != null) b.writeBytes(t);
            else if (!skipSpecialTokens && ids[i] >= 0 && ids[i] < pieces.length) b.writeBytes(pieces[ids[i]].getBytes(StandardCharsets.UTF_8));
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public String tokenText(int id) {
        if (id < 0 || id >= pieces.length) return "";
        return isSpecial(id) || types[id] == TYPE_USER_DEFINED ? pieces[id] : ByteLevel.decode(pieces[id]);
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= pieces.length || isSpecial(id)) return null;
        return types[id] == TYPE_USER_DEFINED ? pieces[id].getBytes(StandardCharsets.UTF_8) : ByteLevel.bytes(pieces[id]);
    }

    @Override public int vocabSize() { return pieces.length; }
    @Override public int bosId() { return bosId; }
    @Override public int eosId() { return eosId; }
    @Override public Set<Integer> eosIds() { return eosIds; }
    @Override public boolean isSpecial(int id) { return id >= 0 && id < types.length && (types[id] == TYPE_CONTROL || types[id] == TYPE_UNKNOWN); }
    @Override public String bosToken() { return bosId >= 0 ? pieces[bosId] : null; }
    @Override public String eosToken() { return eosId >= 0 ? pieces[eosId] : null; }
    @Override public String chatTemplate() { return chatTemplate; }
    @Override public boolean addsBos() { return addBos && bosId >= 0; }
}
