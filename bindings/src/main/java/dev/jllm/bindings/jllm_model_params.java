package dev.jllm.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/** {@code jllm_model_params} of jllm.h (hand-kept in jextract's shape; JllmHeaderTest checks it against the header). */
public final class jllm_model_params {
    private jllm_model_params() {}

    private static final StructLayout LAYOUT = CLayouts.struct("jllm_model_params",
        CLayouts.C_INT.withName("load_format"),
        CLayouts.C_LONG.withName("dummy_seed"),
        CLayouts.C_INT.withName("dummy_dtype"),
        CLayouts.C_INT.withName("max_model_len"),
        CLayouts.C_INT.withName("dtype"));

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

    private static final ValueLayout.OfInt load_format$LAYOUT = CLayouts.C_INT;
    private static final long load_format$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("load_format"));

    public static int load_format(MemorySegment struct) {
        return struct.get(load_format$LAYOUT, load_format$OFFSET);
    }

    public static void load_format(MemorySegment struct, int value) {
        struct.set(load_format$LAYOUT, load_format$OFFSET, value);
    }
    private static final ValueLayout.OfLong dummy_seed$LAYOUT = CLayouts.C_LONG;
    private static final long dummy_seed$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("dummy_seed"));

    public static long dummy_seed(MemorySegment struct) {
        return struct.get(dummy_seed$LAYOUT, dummy_seed$OFFSET);
    }

    public static void dummy_seed(MemorySegment struct, long value) {
        struct.set(dummy_seed$LAYOUT, dummy_seed$OFFSET, value);
    }
    private static final ValueLayout.OfInt dummy_dtype$LAYOUT = CLayouts.C_INT;
    private static final long dummy_dtype$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("dummy_dtype"));

    public static int dummy_dtype(MemorySegment struct) {
        return struct.get(dummy_dtype$LAYOUT, dummy_dtype$OFFSET);
    }

    public static void dummy_dtype(MemorySegment struct, int value) {
        struct.set(dummy_dtype$LAYOUT, dummy_dtype$OFFSET, value);
    }
    private static final ValueLayout.OfInt max_model_len$LAYOUT = CLayouts.C_INT;
    private static final long max_model_len$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("max_model_len"));

    public static int max_model_len(MemorySegment struct) {
        return struct.get(max_model_len$LAYOUT, max_model_len$OFFSET);
    }

    public static void max_model_len(MemorySegment struct, int value) {
        struct.set(max_model_len$LAYOUT, max_model_len$OFFSET, value);
    }
    private static final ValueLayout.OfInt dtype$LAYOUT = CLayouts.C_INT;
    private static final long dtype$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("dtype"));

    public static int dtype(MemorySegment struct) {
        return struct.get(dtype$LAYOUT, dtype$OFFSET);
    }

    public static void dtype(MemorySegment struct, int value) {
        struct.set(dtype$LAYOUT, dtype$OFFSET, value);
    }
}
