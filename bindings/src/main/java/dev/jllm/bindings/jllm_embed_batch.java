package dev.jllm.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/** {@code jllm_embed_batch} of jllm.h (hand-kept in jextract's shape; JllmHeaderTest checks it against the header). */
public final class jllm_embed_batch {
    private jllm_embed_batch() {}

    private static final StructLayout LAYOUT = CLayouts.struct("jllm_embed_batch",
        CLayouts.C_INT.withName("num_tokens"),
        CLayouts.C_POINTER.withName("token_ids"),
        CLayouts.C_INT.withName("num_seqs"),
        CLayouts.C_POINTER.withName("query_start"),
        CLayouts.C_INT.withName("pooling"));

    public static StructLayout layout() {
        return LAYOUT;
    }

    public static long sizeof() {
        return LAYOUT.byteSize();
    }

    public static MemorySegment allocate(SegmentAllocator allocator) {
        return allocator.allocate(LAYOUT);
    }

    public static MemorySegment allocateArray(long count, SegmentAllocator allocator) {
        return allocator.allocate(MemoryLayout.sequenceLayout(count, LAYOUT));
    }

    public static MemorySegment asSlice(MemorySegment array, long index) {
        return array.asSlice(LAYOUT.byteSize() * index, LAYOUT.byteSize());
    }

    private static final ValueLayout.OfInt num_tokens$LAYOUT = CLayouts.C_INT;
    private static final long num_tokens$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_tokens"));

    public static int num_tokens(MemorySegment struct) {
        return struct.get(num_tokens$LAYOUT, num_tokens$OFFSET);
    }

    public static void num_tokens(MemorySegment struct, int value) {
        struct.set(num_tokens$LAYOUT, num_tokens$OFFSET, value);
    }

    private static final AddressLayout token_ids$LAYOUT = CLayouts.C_POINTER;
    private static final long token_ids$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("token_ids"));

    public static MemorySegment token_ids(MemorySegment struct) {
        return struct.get(token_ids$LAYOUT, token_ids$OFFSET);
    }

    public static void token_ids(MemorySegment struct, MemorySegment value) {
        struct.set(token_ids$LAYOUT, token_ids$OFFSET, value);
    }

    private static final ValueLayout.OfInt num_seqs$LAYOUT = CLayouts.C_INT;
    private static final long num_seqs$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_seqs"));

    public static int num_seqs(MemorySegment struct) {
        return struct.get(num_seqs$LAYOUT, num_seqs$OFFSET);
    }

    public static void num_seqs(MemorySegment struct, int value) {
        struct.set(num_seqs$LAYOUT, num_seqs$OFFSET, value);
    }

    private static final AddressLayout query_start$LAYOUT = CLayouts.C_POINTER;
    private static final long query_start$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("query_start"));

    public static MemorySegment query_start(MemorySegment struct) {
        return struct.get(query_start$LAYOUT, query_start$OFFSET);
    }

    public static void query_start(MemorySegment struct, MemorySegment value) {
        struct.set(query_start$LAYOUT, query_start$OFFSET, value);
    }

    private static final ValueLayout.OfInt pooling$LAYOUT = CLayouts.C_INT;
    private static final long pooling$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("pooling"));

    public static int pooling(MemorySegment struct) {
        return struct.get(pooling$LAYOUT, pooling$OFFSET);
    }

    public static void pooling(MemorySegment struct, int value) {
        struct.set(pooling$LAYOUT, pooling$OFFSET, value);
    }
}
