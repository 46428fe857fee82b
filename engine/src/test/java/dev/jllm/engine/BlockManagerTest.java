package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Block tables, reference counts, copy-on-write and prefix caching, with no native code. */
class BlockManagerTest {
    static Sequence seq(int... tokens) {
        SamplingParams p = SamplingParams.builder().build();
        SequenceGroup g = new SequenceGroup("r" + System.nanoTime(), tokens, p, null, 1);
        return g.seqs.get(0);
    }

    @Test
    void allocatesAndFreesBlocks() {
        BlockManager bm = new BlockManager(10, 4, false);
        Sequence s = seq(1, 2, 3, 4, 5, 6);
        List<int[]> copies = new ArrayList<>();
        assertTrue(bm.ensureCapacity(s, 6, copies));
        assertEquals(2, s.blocks.size());
        assertEquals(8, bm.numFree());
        assertEquals(0.2, bm.usage(), 1e-9);
        bm.free(s);
        assertEquals(10, bm.numFree());
        assertTrue(copies.isEmpty());
    }

    @Test
    void refusesWithoutChangingAnythingWhenBlocksRunOut() {
        BlockManager bm = new BlockManager(2, 4, false);
        Sequence s = seq(new int[12]);
        assertFalse(bm.ensureCapacity(s, 12, new ArrayList<>()));
        assertEquals(0, s.blocks.size());
        assertEquals(2, bm.numFree());
    }

    @Test
    void forkSharesBlocksAndCopiesOnWrite() {
        BlockManager bm = new BlockManager(10, 4, false);
        Sequence parent = seq(1, 2, 3, 4, 5, 6);
        List<int[]> copies = new ArrayList<>();
        bm.ensureCapacity(parent, 6, copies);
        parent.numComputed = 6;
        Sequence child = parent.fork(1, 9);
        bm.fork(parent, child);
        assertEquals(2, bm.refCount(parent.blocks.get(0)));
        assertEquals(2, bm.refCount(parent.blocks.get(1)));
        // The child writes position 6 into the shared, half-full second block: it gets a copy.
        child.tokens.add(7);
        assertTrue(bm.ensureCapacity(child, 7, copies));
        assertEquals(1, copies.size());
        assertEquals(parent.blocks.get(1), copies.get(0)[0]);
        assertEquals(child.blocks.get(1), copies.get(0)[1]);
        assertNotEquals(parent.blocks.get(1), child.blocks.get(1));
        assertEquals(parent.blocks.get(0), child.blocks.get(0), "full blocks stay shared");
        assertEquals(1, bm.refCount(parent.blocks.get(1)));
        bm.free(parent);
        bm.free(child);
        assertEquals(10, bm.numFree());
    }

    @Test
    void prefixCachingReusesFullBlocksButNeverTheLastToken() {
        BlockManager bm = new BlockManager(10, 4, true);
        int[] prompt = {5, 6, 7, 8, 9, 10, 11, 12, 13};
        Sequence a = seq(prompt);
        bm.ensureCapacity(a, 9, new ArrayList<>());
        bm.onComputed(a, 0, 9);
        a.numComputed = 9;
        Sequence b = seq(prompt);
        assertEquals(8, bm.reusePrefix(b));
        assertArrayEquals(new int[] {a.blocks.get(0), a.blocks.get(1)}, b.blocks.toArray());
        assertEquals(1.0, bm.prefixHitRate(), 1e-9);
        // An 8-token prompt that is all cached still recomputes its last block.
        Sequence c = seq(5, 6, 7, 8, 9, 10, 11, 12);
        assertEquals(4, bm.reusePrefix(c));
        // Different tokens miss.
        Sequence d = seq(5, 6, 7, 99, 9, 10, 11, 12, 13);
        assertEquals(0, bm.reusePrefix(d));
    }

    @Test
    void freedCachedBlocksAreReusedThenEvictedLeastRecentlyUsedFirst() {
        BlockManager bm = new BlockManager(3, 2, true);
        Sequence a = seq(1, 2, 3, 4, 5);
        bm.ensureCapacity(a, 5, new ArrayList<>());
        bm.onComputed(a, 0, 5);
        int cachedFirst = a.blocks.get(0);
        bm.free(a);
        assertEquals(3, bm.numFree(), "cached blocks count as free");
        Sequence b = seq(1, 2, 3, 4, 7);
        assertEquals(4, bm.reusePrefix(b));
        assertEquals(cachedFirst, b.blocks.get(0));
        bm.free(b);
        // Filling the cache with new content evicts the cached blocks.
        Sequence c = seq(9, 9, 9, 9, 9, 9);
        assertTrue(bm.ensureCapacity(c, 6, new ArrayList<>()));
        bm.free(c);
        Sequence d = seq(1, 2, 3, 4, 5);
        assertEquals(0, bm.reusePrefix(d));
    }

    /** A sequence with these tokens, its blocks allocated and computed (and so cached). */
    static Sequence computed(BlockManager bm, int... tokens) {
        Sequence s = new SequenceGroup("s", tokens, SamplingParams.builder().build(), null, 1).seqs.get(0);
        assertTrue(bm.ensureCapacity(s, tokens.length, new java.util.ArrayList<>()));
        s.numComputed = tokens.length;
        bm.onComputed(s, 0, tokens.length);
        return s;
    }

    static int reused(BlockManager bm, int... tokens) {
        return bm.reusePrefix(new SequenceGroup("r", tokens, SamplingParams.builder().build(), null, 1).seqs.get(0));
    }

    @Test
    void aForcedHashCollisionNeverServesAnotherRequestsKv() {
        // a weak hash: a block's key is the sum of its tokens, ignoring its parent ([1,2] and [2,1] collide)
        BlockHasher weak = (parent, tokens, from, to) -> {
            int sum = 0;
            for (int i = from; i < to; i++) sum += tokens[i];
            return new byte[] {(byte) sum};
        };
        BlockManager bm = new BlockManager(20, 0, 2, true, weak);
        computed(bm, 2, 1, 9, 9, 5);   // caches [2,1] under 3 and [9,9] under 18
        computed(bm, 1, 2, 5, 6, 7);   // [1,2] collides (3 is taken); caches [5,6] under 11, on top of [1,2]
        assertEquals(0, reused(bm, 1, 2, 0), "[1,2] must not get the block holding [2,1]");
        assertEquals(2, reused(bm, 2, 1, 5, 6, 8), "[5,6] after [2,1] must not get the [5,6] computed after [1,2]");
        assertEquals(4, reused(bm, 2, 1, 9, 9, 4), "a true prefix is still reused");
        BlockManager constant = new BlockManager(20, 0, 2, true, (parent, tokens, from, to) -> new byte[1]);
        computed(constant, 1, 1, 2, 2, 3);
        assertEquals(0, reused(constant, 4, 4, 2, 2, 3), "every key collides: nothing another prompt computed is served");
        assertEquals(2, reused(constant, 1, 1, 5, 5, 3));
    }

    @Test
    void theDefaultPrefixKeyIsAChainedSha256() {
        BlockHasher sha = BlockHasher.sha256();
        byte[] a = sha.hash(null, new int[] {1, 2}, 0, 2), b = sha.hash(a, new int[] {3, 4}, 0, 2);
        assertEquals(32, a.length);
        assertFalse(java.util.Arrays.equals(b, sha.hash(null, new int[] {3, 4}, 0, 2)), "the parent is part of the key");
        assertTrue(java.util.Arrays.equals(b, sha.hash(sha.hash(null, new int[] {1, 2}, 0, 2), new int[] {3, 4}, 0, 2)));
    }
}
