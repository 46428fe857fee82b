package dev.jllm.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/** {@code jllm_engine_info} of jllm.h (hand-kept in jextract's shape; JllmHeaderTest checks it against the header). */
public final class jllm_engine_info {
    private jllm_engine_info() {}

    private static final StructLayout LAYOUT = CLayouts.struct("jllm_engine_info",
        CLayouts.C_INT.withName("block_size"),
        CLayouts.C_INT.withName("num_blocks"),
        CLayouts.C_INT.withName("num_host_blocks"),
        CLayouts.C_INT.withName("num_threads"),
        CLayouts.C_LONG.withName("block_bytes"),
        CLayouts.C_INT.withName("max_blocks_per_seq"),
        MemoryLayout.sequenceLayout(32, ValueLayout.JAVA_BYTE).withName("backend"),
        CLayouts.C_INT.withName("kv_cache_dtype"),
        CLayouts.C_INT.withName("max_model_len"),
        CLayouts.C_INT.withName("max_logit_rows"));

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

    private static final ValueLayout.OfInt block_size$LAYOUT = CLayouts.C_INT;
    private static final long block_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("block_size"));

    public static int block_size(MemorySegment struct) {
        return struct.get(block_size$LAYOUT, block_size$OFFSET);
    }

    public static void block_size(MemorySegment struct, int value) {
        struct.set(block_size$LAYOUT, block_size$OFFSET, value);
    }
    private static final ValueLayout.OfInt num_blocks$LAYOUT = CLayouts.C_INT;
    private static final long num_blocks$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_blocks"));

    public static int num_blocks(MemorySegment struct) {
        return struct.get(num_blocks$LAYOUT, num_blocks$OFFSET);
    }

    public static void num_blocks(MemorySegment struct, int value) {
        struct.set(num_blocks$LAYOUT, num_blocks$OFFSET, value);
    }
    private static final ValueLayout.OfInt num_host_blocks$LAYOUT = CLayouts.C_INT;
    private static final long num_host_blocks$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_host_blocks"));

    public static int num_host_blocks(MemorySegment struct) {
        return struct.get(num_host_blocks$LAYOUT, num_host_blocks$OFFSET);
    }

    public static void num_host_blocks(MemorySegment struct, int value) {
        struct.set(num_host_blocks$LAYOUT, num_host_blocks$OFFSET, value);
    }
    private static final ValueLayout.OfInt num_threads$LAYOUT = CLayouts.C_INT;
    private static final long num_threads$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_threads"));

    public static int num_threads(MemorySegment struct) {
        return struct.get(num_threads$LAYOUT, num_threads$OFFSET);
    }

    public static void num_threads(MemorySegment struct, int value) {
        struct.set(num_threads$LAYOUT, num_threads$OFFSET, value);
    }
    private static final ValueLayout.OfLong block_bytes$LAYOUT = CLayouts.C_LONG;
    private static final long block_bytes$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("block_bytes"));

    public static long block_bytes(MemorySegment struct) {
        return struct.get(block_bytes$LAYOUT, block_bytes$OFFSET);
    }

    public static void block_bytes(MemorySegment struct, long value) {
        struct.set(block_bytes$LAYOUT, block_bytes$OFFSET, value);
    }
    private static final ValueLayout.OfInt max_blocks_per_seq$LAYOUT = CLayouts.C_INT;
    private static final long max_blocks_per_seq$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("max_blocks_per_seq"));

    public static int max_blocks_per_seq(MemorySegment struct) {
        return struct.get(max_blocks_per_seq$LAYOUT, max_blocks_per_seq$OFFSET);
    }

    public static void max_blocks_per_seq(MemorySegment struct, int value) {
        struct.set(max_blocks_per_seq$LAYOUT, max_blocks_per_seq$OFFSET, value);
    }
    /** backend: char[32], a NUL-terminated string. */
    public static MemorySegment backend(MemorySegment struct) {
        return struct.asSlice(LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("backend")), 32);
    }
    private static final ValueLayout.OfInt kv_cache_dtype$LAYOUT = CLayouts.C_INT;
    private static final long kv_cache_dtype$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("kv_cache_dtype"));

    public static int kv_cache_dtype(MemorySegment struct) {
        return struct.get(kv_cache_dtype$LAYOUT, kv_cache_dtype$OFFSET);
    }

    public static void kv_cache_dtype(MemorySegment struct, int value) {
        struct.set(kv_cache_dtype$LAYOUT, kv_cache_dtype$OFFSET, value);
    }
    private static final ValueLayout.OfInt max_model_len$LAYOUT = CLayouts.C_INT;
    private static final long max_model_len$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("max_model_len"));

    public static int max_model_len(MemorySegment struct) {
        return struct.get(max_model_len$LAYOUT, max_model_len$OFFSET);
    }

    public static void max_model_len(MemorySegment struct, int value) {
        struct.set(max_model_len$LAYOUT, max_model_len$OFFSET, value);
    }
    private static final ValueLayout.OfInt max_logit_rows$LAYOUT = CLayouts.C_INT;
    private static final long max_logit_rows$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("max_logit_rows"));

    public static int max_logit_rows(MemorySegment struct) {
        return struct.get(max_logit_rows$LAYOUT, max_logit_rows$OFFSET);
    }

    public static void max_logit_rows(MemorySegment struct, int value) {
        struct.set(max_logit_rows$LAYOUT, max_logit_rows$OFFSET, value);
    }
}
