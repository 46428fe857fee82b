package dev.jllm.bench;

import dev.jllm.engine.Engine;
import dev.jllm.engine.EngineConfig;
import dev.jllm.engine.EngineStats;
import dev.jllm.engine.RequestOutput;
import dev.jllm.engine.RequestStream;
import dev.jllm.engine.SamplingParams;
import dev.jllm.engine.nativeapi.NativeExecutor;
import dev.jllm.engine.nativeapi.NativeModel;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Drives the Java engine directly with N concurrent synthetic requests on a ~15M-parameter dummy Llama (vocab of the
 * test tokenizer) and prints output tokens/s, time to first token, inter-token latency and the Java-side share of
 * each step (scheduling, buffer filling, detokenizing, stop checks). A benchmark: it prints, it never fails.
 *   usage: EngineBench TOKENIZER_DIR [concurrency=32] [max_tokens=128]
 */
public final class EngineBench {
    public static void main(String[] args) throws Exception {
        Path tokDir = Path.of(args.length > 0 ? args[0] : "../shared/models/stories260K-hf");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 32, maxTokens = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        boolean constrained = args.length > 3 && args[3].equals("json");  // every request under a JSON-schema constraint
        Path dir = Files.createTempDirectory("jllm-bench");
        Files.writeString(dir.resolve("config.json"), """
                {"architectures":["LlamaForCausalLM"],"hidden_size":288,"intermediate_size":768,"num_hidden_layers":15,
                 "num_attention_heads":6,"num_key_value_heads":6,"vocab_size":512,"max_position_embeddings":1024,
                 "rms_norm_eps":1e-5,"tie_word_embeddings":true}""");
        try (NativeModel model = NativeModel.load(dir.toString(), NativeModel.Format.DUMMY, 1, 0);
             Tokenizer tok = Tokenizers.load(tokDir, null);
             NativeExecutor exec = new NativeExecutor(model, new NativeExecutor.Config(16, 0, 512L << 20, 0, 2048, 256, 20, 0));
             Engine engine = new Engine(exec, tok, new EngineConfig(2048, 256, false, 20))) {
            System.out.printf("model: dummy %.1fM params; %d concurrent requests, 32-token prompts, %d output tokens each%s%n",
                    model.info().numParams() / 1e6, n, maxTokens, constrained ? ", JSON-schema constrained" : "");
            dev.jllm.engine.TokenConstraint json = !constrained ? null : dev.jllm.structured.Constraints.of(tok).jsonSchema(
                    new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                            + "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"score\":{\"type\":\"number\"}},\"required\":[\"name\",\"tags\"]}"), null);
            for (int round = 0; round < 2; round++) {  // the first round warms up the JIT
                EngineStats st = engine.stats();
                long s0 = st.stepNanos.get(), n0 = st.nativeNanos.get(), k0 = st.steps.get();
                long t0 = System.nanoTime();
                List<RequestStream> streams = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    SamplingParams.Builder b = SamplingParams.builder();
                    b.maxTokens = maxTokens;
                    b.ignoreEos = !constrained;
                    b.seed = (long) i;
                    b.constraint = json;
                    int[] prompt = new int[32];
                    for (int j = 0; j < 32; j++) prompt[j] = 3 + (i * 31 + j * 7) % 500;
                    streams.add(engine.submit("bench-" + round + "-" + i, prompt, b.build()));
                }
                // one consumer per stream, so each output is timed when it is produced
                java.util.concurrent.atomic.DoubleAdder ttft = new java.util.concurrent.atomic.DoubleAdder(), itl = new java.util.concurrent.atomic.DoubleAdder();
                java.util.concurrent.atomic.LongAdder tokensAdder = new java.util.concurrent.atomic.LongAdder(), gapsAdder = new java.util.concurrent.atomic.LongAdder();
                List<Thread> consumers = new ArrayList<>();
                for (RequestStream s : streams) consumers.add(Thread.ofVirtual().start(() -> {
                    long last = 0;
                    try {
                        RequestOutput o;
                        do {
                            o = s.poll(600, TimeUnit.SECONDS);
                            long now = System.nanoTime();
                            int got = o.seqs().get(0).tokenIds().length;
                            if (got > 0) {
                                if (last == 0) ttft.add((now - t0) / 1e6);
                                else { itl.add((now - last) / 1e6 / got); gapsAdder.increment(); }
                                last = now;
                                tokensAdder.add(got);
                            }
                        } while (!o.finished());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
                for (Thread c : consumers) c.join();
                long tokens = tokensAdder.sum(), gaps = gapsAdder.sum();
                double secs = (System.nanoTime() - t0) / 1e9;
                long steps = st.steps.get() - k0;
                double stepMs = (st.stepNanos.get() - s0) / 1e6 / steps, nativeMs = (st.nativeNanos.get() - n0) / 1e6 / steps;
                if (round == 0) continue;
                System.out.printf("output tokens/s      %8.1f%n", tokens / secs);
                System.out.printf("time to first token  %8.1f ms (mean)%n", ttft.sum() / n);
                System.out.printf("inter-token latency  %8.2f ms (mean)%n", itl.sum() / Math.max(1, gaps));
                System.out.printf("step time            %8.2f ms, native %.2f ms, Java-side %.2f ms = %.1f%% of the step%n",
                        stepMs, nativeMs, stepMs - nativeMs, 100 * (stepMs - nativeMs) / stepMs);
            }
        }
        Files.deleteIfExists(dir.resolve("config.json"));
        Files.deleteIfExists(dir);
    }
}
