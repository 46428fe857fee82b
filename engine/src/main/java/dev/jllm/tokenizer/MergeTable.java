package dev.jllm.tokenizer;

import java.util.Arrays;

/**
 * BPE merges by id pair: (left id, right id) -> (rank, merged id), in one open-addressing table of longs (a
 * 280k-merge vocabulary without boxing: built and probed in a fraction of a HashMap's time).
 */
final class MergeTable {
    private static final long EMPTY = -1L;
    private final long[] keys, values;
    private final int mask;

    MergeTable(int capacity) {
        int size = Integer.highestOneBit(Math.max(4, capacity * 2 - 1)) << 1;
        keys = new long[size];
        values = new long[size];
        Arrays.fill(keys, EMPTY);
        mask = size - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** Keeps the first (lowest-rank) entry for a pair, as merge lists are read in rank order. */
    void putIfAbsent(int left, int right, int rank, int merged) {
        long k = key(left, right);
        for (int i = slot(k); ; i = (i + 1) & mask) {
            if (keys[i] == k) return;
            if (keys[i] == EMPTY) {
                keys[i] = k;
                values[i] = ((long) rank << 32) | (merged & 0xffffffffL);
                return;
            }
        }
    }

    /** (rank << 32 | merged id) for the pair, or -1 when the pair does not merge. */
    long get(int left, int right) {
        long k = key(left, right);
        for (int i = slot(k); ; i = (i + 1) & mask) {
            if (keys[i] == k) return values[i];
            if (keys[i] == EMPTY) return -1;
        }
    }
}
