package dev.jllm.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Parses native/include/jllm.h and fails when a function, constant or struct field has no binding, or when a
 * binding's signature or a field's offset differs from what a C compiler makes of the header (LP64 rules).
 */
class JllmHeaderTest {
    private static final Path HEADER = Path.of(System.getProperty("jllm.header", "../native/include/jllm.h"));

    private static String header() throws IOException {
        String text = Files.readString(HEADER);
        return text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ");
    }

    /** The Java type jextract maps a C parameter or return type to. */
    private static Class<?> javaType(String cType) {
        String t = cType.replace("const", "").trim();
        if (t.endsWith("*") || t.endsWith("_fn")) return MemorySegment.class;
        return switch (t) {
            case "int32_t", "uint32_t", "jllm_status" -> int.class;
            case "int64_t", "uint64_t" -> long.class;
            case "float" -> float.class;
            case "void" -> void.class;
            default -> {
                if (t.startsWith("jllm_")) yield MemorySegment.class;  // struct by value
                throw new AssertionError("unmapped C type " + t);
            }
        };
    }

    @Test
    void everyFunctionHasAMatchingBinding() throws Exception {
        Pattern fn = Pattern.compile("JLLM_API\\s+([\\w\\s\\*]+?)\\s*\\b(jllm_\\w+)\\s*\\(([^)]*)\\)\\s*;");
        Matcher m = fn.matcher(header());
        int count = 0;
        while (m.find()) {
            count++;
            String ret = m.group(1).trim(), name = m.group(2), params = m.group(3).trim();
            List<Class<?>> want = new ArrayList<>();
            boolean structReturn = !ret.contains("*") && ret.startsWith("jllm_") && !ret.equals("jllm_status");
            if (structReturn) want.add(SegmentAllocator.class);
            if (!params.equals("void") && !params.isEmpty()) {
                for (String p : params.split(",")) {
                    String decl = p.trim();
                    String type = decl.substring(0, decl.lastIndexOf(decl.contains("*") ? '*' : ' ') + 1);
                    want.add(javaType(type));
                }
            }
            Method found = null;
            for (Method mm : jllm_h.class.getMethods())
                if (mm.getName().equals(name) && Modifier.isStatic(mm.getModifiers())) found = mm;
            assertNotNull(found, "no binding for " + name);
            assertEquals(want, List.of(found.getParameterTypes()), "parameters of " + name);
            assertEquals(structReturn ? MemorySegment.class : javaType(ret), found.getReturnType(), "return of " + name);
            assertNotNull(jllm_h.class.getMethod(name + "$descriptor"), "descriptor of " + name);
        }
        assertTrue(count >= 19, "parsed only " + count + " functions");
    }

    @Test
    void everyConstantHasAMatchingValue() throws Exception {
        Matcher m = Pattern.compile("#define\\s+(JLLM_[A-Z0-9_]+)\\s+(-?\\d+)").matcher(header());
        int count = 0;
        while (m.find()) {
            count++;
            Method c = jllm_h.class.getMethod(m.group(1));
            assertEquals(Integer.parseInt(m.group(2)), c.invoke(null), m.group(1));
        }
        assertTrue(count >= 20);
    }

    private static final Map<String, Class<?>> STRUCTS = Map.of(
            "jllm_model_params", jllm_model_params.class, "jllm_model_info", jllm_model_info.class,
            "jllm_engine_params", jllm_engine_params.class, "jllm_engine_info", jllm_engine_info.class,
            "jllm_batch", jllm_batch.class, "jllm_sampling_params", jllm_sampling_params.class,
            "jllm_step_output", jllm_step_output.class, "jllm_embed_batch", jllm_embed_batch.class);

    @Test
    void everyStructFieldHasTheOffsetACompilerGivesIt() throws Exception {
        Matcher m = Pattern.compile("typedef struct \\{([^}]*)\\}\\s*(jllm_\\w+)\\s*;").matcher(header());
        int structs = 0;
        while (m.find()) {
            structs++;
            String name = m.group(2);
            Class<?> cls = STRUCTS.get(name);
            assertNotNull(cls, "no binding class for struct " + name);
            // C layout from the header: each field at its natural alignment (LP64).
            Map<String, long[]> fields = new LinkedHashMap<>();  // name -> {offset, size}
            long offset = 0, maxAlign = 1;
            for (String decl : m.group(1).split(";")) {
                decl = decl.trim();
                if (decl.isEmpty()) continue;
                Matcher arr = Pattern.compile("(.*?)(\\w+)\\s*\\[(\\d+)\\]$").matcher(decl);
                long size, align;
                String field;
                if (arr.matches()) {
                    field = arr.group(2);
                    size = Long.parseLong(arr.group(3));
                    align = 1;
                } else {
                    field = decl.substring(decl.lastIndexOf(decl.contains("*") ? '*' : ' ') + 1).trim();
                    String type = decl.substring(0, decl.length() - field.length()).trim();
                    Class<?> jt = javaType(type);
                    size = jt == int.class || jt == float.class ? 4 : 8;
                    align = size;
                }
                offset = (offset + align - 1) / align * align;
                fields.put(field, new long[] {offset, size});
                offset += size;
                maxAlign = Math.max(maxAlign, align);
            }
            long sizeof = (offset + maxAlign - 1) / maxAlign * maxAlign;
            StructLayout layout = (StructLayout) cls.getMethod("layout").invoke(null);
            assertEquals(sizeof, layout.byteSize(), "sizeof " + name);
            List<String> named = new ArrayList<>();
            for (MemoryLayout ml : layout.memberLayouts()) ml.name().ifPresent(named::add);
            assertEquals(new ArrayList<>(fields.keySet()), named, "fields of " + name);
            for (var e : fields.entrySet()) {
                long off = layout.byteOffset(MemoryLayout.PathElement.groupElement(e.getKey()));
                assertEquals(e.getValue()[0], off, name + "." + e.getKey() + " offset");
                boolean hasAccessor = false;
                for (Method mm : cls.getMethods()) hasAccessor |= mm.getName().equals(e.getKey());
                assertTrue(hasAccessor, "no accessor for " + name + "." + e.getKey());
            }
        }
        assertEquals(STRUCTS.size(), structs, "structs in the header");
    }

    @Test
    void paddingIsInsertedWhereCInsertsIt() {
        // int32 then uint64: 4 bytes of padding, as in jllm_model_params.
        assertEquals(8, jllm_model_params.layout().byteOffset(MemoryLayout.PathElement.groupElement("dummy_seed")));
        assertFalse(jllm_batch.layout().memberLayouts().isEmpty());
        if (jllm_step_output.sizeof() != 48) fail("jllm_step_output should be 48 bytes");
    }
}
