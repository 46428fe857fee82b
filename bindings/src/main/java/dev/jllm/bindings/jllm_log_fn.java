package dev.jllm.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/** {@code typedef void (*jllm_log_fn)(int32_t level, const char* message);} as an upcall stub factory. */
public final class jllm_log_fn {
    private jllm_log_fn() {}

    /** The Java side of the callback; {@code message} is valid only during the call. */
    public interface Function {
        void apply(int level, MemorySegment message);
    }

    private static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(CLayouts.C_INT, CLayouts.C_POINTER);
    private static final MethodHandle UP;

    static {
        try {
            UP = MethodHandles.lookup().findVirtual(Function.class, "apply",
                    MethodType.methodType(void.class, int.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public static FunctionDescriptor descriptor() {
        return DESC;
    }

    /** An upcall stub calling {@code fi}, alive as long as {@code arena}. */
    public static MemorySegment allocate(Function fi, Arena arena) {
        return Linker.nativeLinker().upcallStub(UP.bindTo(fi), DESC, arena);
    }
}
