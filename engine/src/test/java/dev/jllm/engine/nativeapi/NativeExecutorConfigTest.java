package dev.jllm.engine.nativeapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.TestModels;
import org.junit.jupiter.api.Test;

/** The engine parameters added with ABI 2 reach libjllm and come back in its info. */
class NativeExecutorConfigTest {
    private static NativeExecutor.Config config(int kvDtype, int maxModelLen, int numBlocks) {
        return new NativeExecutor.Config(16, numBlocks, 0, 0, 256, 8, 20, 1, kvDtype, maxModelLen, 0, 1L << 20);
    }

    @Test
    void kvCacheDtypeContextAndRowsAreApplied() {
        try (NativeModel model = NativeModel.load(TestModels.gguf().toString(), NativeModel.Format.AUTO, 0, 0)) {
            long f32Block;
            try (NativeExecutor x = new NativeExecutor(model, config(-1, 0, 64))) {
                assertEquals(0, x.info().kvCacheDtype(), "auto follows the F32 weights");
                assertEquals(512, x.maxModelLen());
                assertEquals(8, x.maxLogitRows(), "rows default to max_num_seqs");
                assertTrue(x.numHostBlocks() > 0, "host_cache_bytes sizes the swap pool");
                f32Block = x.info().blockBytes();
            }
            try (NativeExecutor x = new NativeExecutor(model, config(30, 0, 64))) {
                assertEquals(30, x.info().kvCacheDtype());
                assertEquals(f32Block / 2, x.info().blockBytes());
            }
            // 8 blocks of 16 tokens hold 128 tokens: the model's 512 is fitted down, an explicit 512 is refused
            try (NativeExecutor x = new NativeExecutor(model, config(1, 0, 8))) {
                assertEquals(128, x.maxModelLen());
            }
            JllmException e = assertThrows(JllmException.class, () -> new NativeExecutor(model, config(1, 512, 8)));
            assertTrue(e.getMessage().contains("does not fit the KV cache"), e.getMessage());
        }
    }
}
