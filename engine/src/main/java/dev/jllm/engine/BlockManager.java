package dev.jllm.engine;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Paged KV block bookkeeping (vLLM's block manager): per-sequence block tables, reference counts shared by
 * forked sequences with copy-on-write, and automatic prefix caching — a full block is keyed by a chained hash
 * (SHA-256 of the parent block's hash and the block's token ids, as vLLM); a request whose prompt starts with the
 * same tokens reuses it. A hit is never trusted on the hash alone: the cached block's own tokens and its parent
 * (the physical block, at the same allocation) must match the ones just reused, so a hash collision can only miss,
 * never serve another request's KV. Freed cached blocks wait in LRU order and are evicted only when no
 * never-cached block is free. Engine thread only.
 */
public final class BlockManager {
    private final int numBlocks, blockSize;
    private final boolean prefixCaching;
    private final int[] refCount;
    private final Key[] keyOf;           // a cached block's key, valid when cached[b]
    private final boolean[] cached;
    private final int[] parentOf;        // a cached block's parent block (-1 for a first block), valid when cached[b]
    private final long[] parentGen;      // gen[parentOf[b]] when b was cached
    private final long[] gen;            // allocations of each block so far: a reallocated block is a new block
    private final int[] tokensOf;        // [numBlocks * blockSize] a cached block's token ids
    private final BlockHasher hasher;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();           // refCount 0, not cached
    private final LinkedHashSet<Integer> evictable = new LinkedHashSet<>(); // refCount 0, cached; oldest first
    private final Map<Key, Integer> cache = new HashMap<>();
    private long prefixHits, prefixQueries;
    private final ArrayDeque<Integer> freeHost = new ArrayDeque<>();  // host (swap) pool
    private final int numHostBlocks;

    public BlockManager(int numBlocks, int blockSize, boolean prefixCaching) {
        this(numBlocks, 0, blockSize, prefixCaching);
    }

    public BlockManager(int numBlocks, int numHostBlocks, int blockSize, boolean prefixCaching) {
        this(numBlocks, numHostBlocks, blockSize, prefixCaching, BlockHasher.sha256());
    }

    /** hasher: the prefix-cache key function (tests inject colliding ones). */
    BlockManager(int numBlocks, int numHostBlocks, int blockSize, boolean prefixCaching, BlockHasher hasher) {
        this.hasher = hasher;
        this.numHostBlocks = numHostBlocks;
        for (int b = 0; b < numHostBlocks; b++) freeHost.add(b);
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.prefixCaching = prefixCaching;
        refCount = new int[numBlocks];
        keyOf = new Key[numBlocks];
        cached = new boolean[numBlocks];
        parentOf = new int[numBlocks];
        parentGen = new long[numBlocks];
        gen = new long[numBlocks];
        tokensOf = new int[prefixCaching ? numBlocks * blockSize : 0];
        for (int b = 0; b < numBlocks; b++) free.add(b);
    }

    public int blockSize() { return blockSize; }
    public int numBlocks() { return numBlocks; }
    public int numFree() { return free.size() + evictable.size(); }
    public int refCount(int block) { return refCount[block]; }

    /** Fraction of blocks in use (0..1), for metrics. */
    public double usage() {
        return 1.0 - (double) numFree() / numBlocks;
    }

    /** Prefix-cache hit rate over all full prompt blocks looked up. */
    public double prefixHitRate() {
        return prefixQueries == 0 ? 0 : (double) prefixHits / prefixQueries;
    }

    public static int blocksFor(int tokens, int blockSize) {
        return (tokens + blockSize - 1) / blockSize;
    }

    private int allocate() {
        Integer b = free.poll();
        if (b == null) {
            Iterator<Integer> it = evictable.iterator();
            if (!it.hasNext()) return -1;
            b = it.next();
            it.remove();
            cache.remove(keyOf[b]);
            keyOf[b] = null;
            cached[b] = false;
        }
        refCount[b] = 1;
        gen[b]++;
        return b;
    }

    private void decRef(int b) {
        if (--refCount[b] > 0) return;
        if (cached[b]) evictable.add(b);
        else free.push(b);
    }

    /** A block hash as a map key (content equality). */
    private record Key(byte[] h) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && java.util.Arrays.equals(h, k.h);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(h);
        }
    }

    /** The chained hash of s's full block k (memoized on the sequence: full blocks never change). */
    private Key keyOf(Sequence s, int k) {
        List<byte[]> hs = s.blockHashes;
        while (hs.size() <= k) {
            int j = hs.size();
            hs.add(hasher.hash(j == 0 ? null : hs.get(j - 1), s.tokens.raw(), j * blockSize, (j + 1) * blockSize));
        }
        return new Key(hs.get(k));
    }

    /** Whether cached block b really holds s's block k on top of `parent` (the block reused for k - 1, or -1). */
    private boolean holds(int b, Sequence s, int k, int parent) {
        if (parentOf[b] != parent || (parent >= 0 && parentGen[b] != gen[parent])) return false;
        return java.util.Arrays.equals(tokensOf, b * blockSize, (b + 1) * blockSize, s.tokens.raw(), k * blockSize, (k + 1) * blockSize);
    }

    /**
     * For a sequence with no blocks yet: takes cached blocks matching its leading full blocks, never the block
     * that holds its last token (that token must be computed to sample from it). Returns tokens now cached.
     */
    int reusePrefix(Sequence s) {
        if (!prefixCaching || s.blocks.size() > 0) return 0;
        int maxBlocks = (s.tokens.size() - 1) / blockSize;
        int k = 0, parent = -1;
        for (; k < maxBlocks; k++) {
            prefixQueries++;
            Integer b = cache.get(keyOf(s, k));
            if (b == null || !holds(b, s, k, parent)) break;
            parent = b;
            prefixHits++;
            if (refCount[b] == 0) evictable.remove(b);
            refCount[b]++;
            s.blocks.add(b);
        }
        s.numComputed = k * blockSize;
        return s.numComputed;
    }

    /** Blocks needed so that s can hold `tokens` tokens, counting a copy-on-write of a shared last block. */
    int blocksNeeded(Sequence s, int tokens) {
        int need = Math.max(0, blocksFor(tokens, blockSize) - s.blocks.size());
        if (needsCopyOnWrite(s, tokens)) need++;
        return need;
    }

    private boolean needsCopyOnWrite(Sequence s, int tokens) {
        if (s.numComputed % blockSize == 0 || tokens <= s.numComputed) return false;
        int last = s.blocks.get(s.numComputed / blockSize);
        return refCount[last] > 1;
    }

    /**
     * Makes room in s's block table for positions [numComputed, tokens); a shared partly-filled block is copied
     * first (its (src, dst) pair is appended to copies). False, with nothing changed, when blocks run out.
     */
    boolean ensureCapacity(Sequence s, int tokens, List<int[]> copies) {
        if (blocksNeeded(s, tokens) > numFree()) return false;
        if (needsCopyOnWrite(s, tokens)) {
            int idx = s.numComputed / blockSize, old = s.blocks.get(idx);
            int fresh = allocate();
            copies.add(new int[] {old, fresh});
            decRef(old);
            s.blocks.set(idx, fresh);
        }
        while (s.blocks.size() < blocksFor(tokens, blockSize)) s.blocks.add(allocate());
        return true;
    }

    /** A child shares every block of its parent. */
    void fork(Sequence parent, Sequence child) {
        for (int i = 0; i < parent.blocks.size(); i++) refCount[parent.blocks.get(i)]++;
    }

    /** Registers blocks that became full of computed tokens in (before, after] for prefix caching. */
    void onComputed(Sequence s, int before, int after) {
        if (!prefixCaching) return;
        int firstFull = before / blockSize, lastFull = after / blockSize;  // blocks [firstFull, lastFull) now full
        if (firstFull >= lastFull) return;
        for (int k = firstFull; k < lastFull; k++) {
            Key key = keyOf(s, k);
            int b = s.blocks.get(k);
            if (!cached[b] && !cache.containsKey(key)) {
                cache.put(key, b);
                keyOf[b] = key;
                cached[b] = true;
                parentOf[b] = k == 0 ? -1 : s.blocks.get(k - 1);
                parentGen[b] = k == 0 ? 0 : gen[parentOf[b]];
                System.arraycopy(s.tokens.raw(), k * blockSize, tokensOf, b * blockSize, blockSize);
            }
        }
    }

    // ---- swap (preemption of multi-sequence requests) ----------------------------------------------------------

    /** (src, dst) block pairs for the executor. */
    record Moves(int[] src, int[] dst) {}

    /** Distinct blocks of a group with the number of references the group holds on each. */
    private static java.util.LinkedHashMap<Integer, Integer> groupRefs(List<Sequence> seqs) {
        java.util.LinkedHashMap<Integer, Integer> refs = new java.util.LinkedHashMap<>();
        for (Sequence s : seqs) for (int i = 0; i < s.blocks.size(); i++) refs.merge(s.blocks.get(i), 1, Integer::sum);
        return refs;
    }

    public int numFreeHost() {
        return freeHost.size();
    }

    public double hostUsage() {
        return numHostBlocks == 0 ? 0 : 1.0 - (double) freeHost.size() / numHostBlocks;
    }

    boolean canSwapOut(List<Sequence> seqs) {
        return numHostBlocks > 0 && groupRefs(seqs).size() <= freeHost.size();
    }

    /** Moves the sequences' blocks to the host pool: their tables then hold host block ids. */
    Moves swapOut(List<Sequence> seqs) {
        var refs = groupRefs(seqs);
        java.util.Map<Integer, Integer> toHost = new java.util.HashMap<>();
        int[] src = new int[refs.size()], dst = new int[refs.size()];
        int k = 0;
        for (var e : refs.entrySet()) {
            int host = freeHost.poll();
            toHost.put(e.getKey(), host);
            src[k] = e.getKey();
            dst[k++] = host;
            for (int r = 0; r < e.getValue(); r++) decRef(e.getKey());  // shared with other requests: they keep it
        }
        for (Sequence s : seqs) for (int i = 0; i < s.blocks.size(); i++) s.blocks.set(i, toHost.get(s.blocks.get(i)));
        return new Moves(src, dst);
    }

    boolean canSwapIn(List<Sequence> seqs, int watermark) {
        return groupRefs(seqs).size() + watermark <= numFree();
    }

    /** Brings swapped sequences back into fresh main blocks. */
    Moves swapIn(List<Sequence> seqs) {
        var refs = groupRefs(seqs);
        java.util.Map<Integer, Integer> toMain = new java.util.HashMap<>();
        int[] src = new int[refs.size()], dst = new int[refs.size()];
        int k = 0;
        for (var e : refs.entrySet()) {
            int main = allocate();
            refCount[main] = e.getValue();
            toMain.put(e.getKey(), main);
            src[k] = e.getKey();
            dst[k++] = main;
            freeHost.add(e.getKey());
        }
        for (Sequence s : seqs) for (int i = 0; i < s.blocks.size(); i++) s.blocks.set(i, toMain.get(s.blocks.get(i)));
        return new Moves(src, dst);
    }

    /** Drops swapped-out sequences: their host blocks return to the host pool. */
    void freeSwapped(List<Sequence> seqs) {
        for (int b : groupRefs(seqs).keySet()) freeHost.add(b);
        for (Sequence s : seqs) {
            s.blocks.clear();
            s.numComputed = 0;
        }
    }

    /** Releases every block of s. */
    void free(Sequence s) {
        for (int i = 0; i < s.blocks.size(); i++) decRef(s.blocks.get(i));
        s.blocks.clear();
        s.numComputed = 0;
    }
}
