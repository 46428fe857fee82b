package dev.jllm.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jllm.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bounded part of `jllm stress` in the test suite: the whole malformed-input corpus, a 240-request abort
 * storm, KV exhaustion, overload and slow clients, each against its own `jllm serve` child process. Every broken
 * invariant (a 5xx, a hang, an unshaped error, a server that does not settle to zero running / waiting / KV
 * blocks, no 429 under overload, changed greedy output) fails the test with its description.
 */
class StressTest {
    @Test
    void theQuickStressSuiteRunsClean() throws Exception {
        List<String> broken = Stress.quick(TestModels.hf());
        assertEquals(List.of(), broken, broken.size() + " broken invariant(s)");
    }
}
