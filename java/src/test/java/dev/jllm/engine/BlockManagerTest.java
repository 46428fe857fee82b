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
}
