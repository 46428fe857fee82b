package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every refused start-up of `jllm serve` prints one line `jllm: <reason>` and exits 1, never a stack trace:
 * inconsistent config.json, unsupported architecture, corrupt tokenizer, a tokenizer larger than the model's
 * vocabulary, impossible sizes, unsupported dtypes.
 */
class StartupErrorsTest {
    @TempDir Path tmp;

    private record Outcome(int code, String err) {}

    private static Outcome serve(String... args) {
        List<String> argv = new ArrayList<>(List.of(args));
        argv.addAll(List.of("--host", "127.0.0.1", "--port", "18631", "--threads", "1"));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);
        int code = Main.serveCli(argv.toArray(String[]::new), err, new CountDownLatch(0));
        return new Outcome(code, buf.toString(StandardCharsets.UTF_8));
    }

    /** Refused with exit 1 and exactly one `jllm: ` line containing every fragment. */
    private static void refused(Outcome o, String... fragments) {
        assertEquals(1, o.code(), o.err());
        assertTrue(o.err().startsWith("jllm: "), o.err());
        assertEquals(1, o.err().strip().lines().count(), "one line, no stack trace: " + o.err());
        assertFalse(o.err().contains("\tat "), o.err());
        for (String f : fragments) assertTrue(o.err().contains(f), "'" + f + "' missing from: " + o.err());
    }

    /** A copy of the stories260K HF directory (weights and tokenizer linked) with config.json edited. */
    private Path model(Consumer<ObjectNode> edit) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "model");
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(TestModels.hf().resolve("config.json").toFile());
        edit.accept(config);
        json.writeValue(dir.resolve("config.json").toFile(), config);
        for (String f : List.of("model.safetensors", "tokenizer.json", "tokenizer_config.json"))
            Files.createSymbolicLink(dir.resolve(f), TestModels.hf().resolve(f).toAbsolutePath());
        return dir;
    }

    /** Flag values refused before the model is even looked for (a load can take minutes). */
    @Test
    void badPortAndMaxModelLenAreRefusedBeforeTheLoad() {
        for (String[] args : List.of(new String[] {"--port", "99999"}, new String[] {"--port", "-1"})) {
            List<String> argv = new ArrayList<>(List.of("--model", tmp.resolve("absent").toString()));
            argv.addAll(List.of(args));
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            int code = Main.serveCli(argv.toArray(String[]::new), new PrintStream(buf, true, StandardCharsets.UTF_8),
                    new CountDownLatch(0));
            refused(new Outcome(code, buf.toString(StandardCharsets.UTF_8)), "--port must be 0..65535, not " + args[1]);
        }
        refused(serve("--model", tmp.resolve("absent").toString(), "--max-model-len", "0"), "--max-model-len must be positive");
        refused(serve("--model", tmp.resolve("absent").toString(), "--max-model-len", "99999999999"),
                "--max-model-len is out of range (at most 2147483647), got '99999999999'");
        refused(serve("--model", tmp.resolve("absent").toString(), "--max-model-len", "4k"), "--max-model-len must be an integer, got '4k'");
    }

    @Test
    void weightDtypesAndGgufFileTypesAreNamed() {
        assertEquals("Q4_K", Main.dtypeName(12));
        assertEquals("Q5_0", Main.dtypeName(6));
        assertEquals("bfloat16", Main.dtypeName(30));
        assertEquals("Q4_K_M", Main.fileTypeName(15));
        assertEquals("BF16", Main.fileTypeName(32));
        assertEquals(null, Main.fileTypeName(5));
        assertEquals("float32 weights", Main.weightsLine(0, TestModels.gguf()));  // an F32 file: no "file type"
    }

    @Test
    void aLayerCountThatDisagreesWithTheWeightsIsNamed() throws IOException {
        refused(serve("--model", model(c -> c.put("num_hidden_layers", 3)).toString()), "num_hidden_layers = 3", "hold 5 layers");
    }

    @Test
    void anUnsupportedArchitectureIsNamed() throws IOException {
        Path m = model(c -> c.putArray("architectures").add("GPT2LMHeadModel"));
        refused(serve("--model", m.toString()), "GPT2LMHeadModel");
    }

    @Test
    void aZeroContextLengthIsRefused() throws IOException {
        refused(serve("--model", model(c -> c.put("max_position_embeddings", 0)).toString()), "context length", "is 0");
    }

    @Test
    void aTokenizerLargerThanTheVocabularyIsRefused() {
        Path llama3 = TestModels.shared().resolve("tokenizers/llama3");
        refused(serve("--model", TestModels.hf().toString(), "--tokenizer", llama3.toString()),
                "the tokenizer has 128256 tokens", "vocabulary has 512");
    }

    @Test
    void aCorruptTokenizerIsRefusedWithoutAStackTrace() throws IOException {
        Path m = model(c -> {});
        Files.delete(m.resolve("tokenizer.json"));
        Files.writeString(m.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": [");
        refused(serve("--model", m.toString()));
    }

    @Test
    void corruptWeightsAreRefusedByName() throws IOException {
        Path m = model(c -> {});
        Files.delete(m.resolve("model.safetensors"));
        Files.write(m.resolve("model.safetensors"), new byte[] {1, 2, 3});
        refused(serve("--model", m.toString()), "too short to be safetensors");
    }

    @Test
    void sizesAreCheckedBeforeAllocating() throws IOException {
        refused(serve("--model", TestModels.hf().toString(), "--max-model-len", "100000"), "100000", "context length 512");
        refused(serve("--model", TestModels.hf().toString(), "--kv-cache-memory", "1000000G"), "the KV cache", "MiB of memory is available");
        // max_position_embeddings 1e9 with an explicit --max-model-len: refused with the numbers, not after allocating
        Path huge = model(c -> c.put("max_position_embeddings", 1e9));
        refused(serve("--model", huge.toString(), "--max-model-len", "1000000000"), "does not fit the KV cache", "tokens");
        // ... and without one, the context is fitted to the KV budget and the server starts
        Outcome ok = serve("--model", huge.toString());
        assertEquals(0, ok.code(), ok.err());
    }

    @Test
    void taskFlagsAreCheckedAndAnEncoderCannotGenerate() throws IOException {
        refused(serve("--model", TestModels.hf().toString(), "--task", "classify"), "--task must be auto, generate or embed");
        refused(serve("--model", TestModels.hf().toString(), "--task", "embed", "--runner", "generate"), "both generation and embeddings");
        Path bert = Files.createTempDirectory(tmp, "bert");
        dev.jllm.server.TinyEmbeddingModels.writeBert(bert, "", 1);
        refused(serve("--model", bert.toString(), "--task", "generate"), "BertModel is an encoder", "--task embed");
    }

    @Test
    void unsupportedDtypesAreRefusedByName() {
        refused(serve("--model", TestModels.hf().toString(), "--kv-cache-dtype", "fp8"), "fp8");
        refused(serve("--model", TestModels.hf().toString(), "--dtype", "int8"), "--dtype int8");
        refused(serve("--model", tmp.resolve("missing").toString()), "does not exist");
    }
}
