package dev.jllm.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/** {@code jllm_batch} of jllm.h (hand-kept in jextract's shape; JllmHeaderTest checks it against the header). */
public final class jllm_batch {
    private jllm_batch() {}

    private static final StructLayout LAYOUT = CLayouts.struct("jllm_batch",
        CLayouts.C_INT.withName("num_tokens"),
        CLayouts.C_POINTER.withName("token_ids"),
        CLayouts.C_POINTER.withName("positions"),
        CLayouts.C_POINTER.withName("slot_mapping"),
        CLayouts.C_INT.withName("num_seqs"),
        CLayouts.C_POINTER.withName("query_start"),
        CLayouts.C_POINTER.withName("context_lens"),
        CLayouts.C_POINTER.withName("block_tables"),
        CLayouts.C_INT.withName("block_table_stride"),
        CLayouts.C_INT.withName("num_logit_rows"),
        CLayouts.C_POINTER.withName("logit_token_index"));

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
    private static final AddressLayout positions$LAYOUT = CLayouts.C_POINTER;
    private static final long positions$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("positions"));

    public static MemorySegment positions(MemorySegment struct) {
        return struct.get(positions$LAYOUT, positions$OFFSET);
    }

    public static void positions(MemorySegment struct, MemorySegment value) {
        struct.set(positions$LAYOUT, positions$OFFSET, value);
    }
    private static final AddressLayout slot_mapping$LAYOUT = CLayouts.C_POINTER;
    private static final long slot_mapping$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("slot_mapping"));

    public static MemorySegment slot_mapping(MemorySegment struct) {
        return struct.get(slot_mapping$LAYOUT, slot_mapping$OFFSET);
    }

    public static void slot_mapping(MemorySegment struct, MemorySegment value) {
        struct.set(slot_mapping$LAYOUT, slot_mapping$OFFSET, value);
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
    private static final AddressLayout context_lens$LAYOUT = CLayouts.C_POINTER;
    private static final long context_lens$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("context_lens"));

    public static MemorySegment context_lens(MemorySegment struct) {
        return struct.get(context_lens$LAYOUT, context_lens$OFFSET);
    }

    public static void context_lens(MemorySegment struct, MemorySegment value) {
        struct.set(context_lens$LAYOUT, context_lens$OFFSET, value);
    }
    private static final AddressLayout block_tables$LAYOUT = CLayouts.C_POINTER;
    private static final long block_tables$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("block_tables"));

    public static MemorySegment block_tables(MemorySegment struct) {
        return struct.get(block_tables$LAYOUT, block_tables$OFFSET);
    }

    public static void block_tables(MemorySegment struct, MemorySegment value) {
        struct.set(block_tables$LAYOUT, block_tables$OFFSET, value);
    }
    private static final ValueLayout.OfInt block_table_stride$LAYOUT = CLayouts.C_INT;
    private static final long block_table_stride$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("block_table_stride"));

    public static int block_table_stride(MemorySegment struct) {
        return struct.get(block_table_stride$LAYOUT, block_table_stride$OFFSET);
    }

    public static void block_table_stride(MemorySegment struct, int value) {
        struct.set(block_table_stride$LAYOUT, block_table_stride$OFFSET, value);
    }
    private static final ValueLayout.OfInt num_logit_rows$LAYOUT = CLayouts.C_INT;
    private static final long num_logit_rows$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_logit_rows"));

    public static int num_logit_rows(MemorySegment struct) {
        return struct.get(num_logit_rows$LAYOUT, num_logit_rows$OFFSET);
    }

    public static void num_logit_rows(MemorySegment struct, int value) {
        struct.set(num_logit_rows$LAYOUT, num_logit_rows$OFFSET, value);
    }
    private static final AddressLayout logit_token_index$LAYOUT = CLayouts.C_POINTER;
    private static final long logit_token_index$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("logit_token_index"));

    public static MemorySegment logit_token_index(MemorySegment struct) {
        return struct.get(logit_token_index$LAYOUT, logit_token_index$OFFSET);
    }

    public static void logit_token_index(MemorySegment struct, MemorySegment value) {
        struct.set(logit_token_index$LAYOUT, logit_token_index$OFFSET, value);
    }
}
