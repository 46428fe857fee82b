package dev.jllm.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** C types of jllm.h on LP64 (x86-64, aarch64 Linux), and C struct layout with the padding a C compiler inserts. */
public final class CLayouts {
    private CLayouts() {}

    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;       // int32_t, uint32_t
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;    // int64_t, uint64_t
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT; // float
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS;        // any pointer

    /** A struct of the given named members in order, padded as C pads it (each member at its alignment). */
    public static StructLayout struct(String name, MemoryLayout... members) {
        List<MemoryLayout> out = new ArrayList<>();
        long offset = 0, maxAlign = 1;
        for (MemoryLayout m : members) {
            long align = m.byteAlignment();
            maxAlign = Math.max(maxAlign, align);
            long pad = (align - offset % align) % align;
            if (pad > 0) out.add(MemoryLayout.paddingLayout(pad));
            out.add(m);
            offset += pad + m.byteSize();
        }
        long tail = (maxAlign - offset % maxAlign) % maxAlign;
        if (tail > 0) out.add(MemoryLayout.paddingLayout(tail));
        return MemoryLayout.structLayout(out.toArray(MemoryLayout[]::new)).withName(name);
    }
}
