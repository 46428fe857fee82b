package dev.jllm.engine.nativeapi;

import dev.jllm.bindings.jllm_h;
import dev.jllm.bindings.jllm_log_fn;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Loads libjllm once, from the first of: an explicit path (system property {@code jllm.library.path}, a file or
 * a folder holding libjllm.so; the CLI's --native-lib sets it) → the jlink image's {@code lib/} → the build folder
 * of the source checkout the jars were built in → the copy inside the jllm-engine jar (extracted once into
 * {@code ~/.cache/jllm/native/<sha-256>/}) → {@code java.library.path}. Then checks the ABI version and routes native log lines to java.util.logging.
 */
public final class NativeLibrary {
    private static final Logger LOG = Logger.getLogger("dev.jllm.native");
    private static final String FILE = System.mapLibraryName("jllm");
    private static volatile String loadedFrom;

    private NativeLibrary() {}

    public static synchronized void ensureLoaded() {
        if (loadedFrom != null) return;
        String explicit = System.getProperty("jllm.library.path");
        Path image = Path.of(System.getProperty("java.home"), "lib", FILE);
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (Files.isDirectory(p)) p = p.resolve(FILE);
            if (!Files.isRegularFile(p))
                throw new UnsatisfiedLinkError("jllm.library.path points to " + p + ", which does not exist; build it with ./jllm build");
            System.load(p.toAbsolutePath().toString());
            loadedFrom = p.toAbsolutePath().toString();
        } else if (Files.isRegularFile(image)) {
            System.load(image.toString());
            loadedFrom = image.toString();
        } else if (checkoutBuild() != null) {
            Path p = checkoutBuild();
            System.load(p.toString());
            loadedFrom = p.toString();
        } else if (bundled() != null) {
            Path p = bundled();
            System.load(p.toString());
            loadedFrom = p.toString();
        } else {
            System.loadLibrary("jllm");
            loadedFrom = "java.library.path";
        }
        int abi = jllm_h.jllm_abi_version();
        if (abi != jllm_h.JLLM_ABI_VERSION())
            throw new UnsatisfiedLinkError("libjllm ABI version " + abi + " (from " + loadedFrom
                    + ") does not match the bindings' ABI version " + jllm_h.JLLM_ABI_VERSION() + "; rebuild with ./jllm build");
        jllm_h.jllm_log_set(jllm_log_fn.allocate(NativeLibrary::onLog, Arena.global()));
    }

    /**
     * The library a source checkout builds (build/native/native/libjllm.so), found from where this class's jar
     * lies in that checkout (java/target/...): how `jbang jllm@<checkout>` finds it.
     */
    private static Path checkoutBuild() {
        try {
            Path p = Path.of(NativeLibrary.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path d = p.getParent(); d != null; d = d.getParent()) {
                Path lib = d.resolve("build").resolve("native").resolve("native").resolve(FILE);
                if (Files.isRegularFile(lib)) return lib.toAbsolutePath();
            }
        } catch (Exception ignored) {
            // no code source (unusual class loaders): fall through to java.library.path
        }
        return null;
    }

    /**
     * The libjllm packed in this jar (dev/jllm/native/linux-x86_64/), copied to a file named by its SHA-256 so that
     * processes and versions never share a half-written or different copy; null when the jar has none.
     */
    private static Path bundled() {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux") ? "linux" : "other";
        String arch = System.getProperty("os.arch", "").equals("amd64") ? "x86_64" : System.getProperty("os.arch", "");
        try (java.io.InputStream in = NativeLibrary.class.getResourceAsStream("/dev/jllm/native/" + os + "-" + arch + "/" + FILE)) {
            if (in == null) return null;
            byte[] bytes = in.readAllBytes();
            String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
            Path dir = Path.of(System.getProperty("user.home"), ".cache", "jllm", "native", sha);
            Path lib = dir.resolve(FILE);
            if (!Files.isRegularFile(lib) || Files.size(lib) != bytes.length) {
                Files.createDirectories(dir);
                Path tmp = Files.createTempFile(dir, FILE, ".part");
                Files.write(tmp, bytes);
                Files.move(tmp, lib, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            return lib;
        } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
            LOG.warning("cannot extract the bundled libjllm: " + e.getMessage());
            return null;
        }
    }

    private static void onLog(int level, MemorySegment message) {
        String text = message.reinterpret(Long.MAX_VALUE).getString(0);
        Level l = switch (level) {
            case 0 -> Level.FINE;
            case 1 -> Level.INFO;
            case 2 -> Level.WARNING;
            default -> Level.SEVERE;
        };
        LOG.log(l, text);
    }

    public static String loadedFrom() {
        ensureLoaded();
        return loadedFrom;
    }

    public static String buildInfo() {
        ensureLoaded();
        return jllm_h.jllm_build_info().reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** Throws JllmException for a non-OK status, with the thread's native last error. */
    static void check(int status) {
        if (status == jllm_h.JLLM_OK()) return;
        String name = jllm_h.jllm_status_str(status).reinterpret(Long.MAX_VALUE).getString(0);
        String detail = jllm_h.jllm_last_error().reinterpret(Long.MAX_VALUE).getString(0);
        throw new JllmException(status, name, detail);
    }
}
