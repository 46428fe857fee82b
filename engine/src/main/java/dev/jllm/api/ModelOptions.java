package dev.jllm.api;

import dev.jllm.engine.EngineConfig;
import dev.jllm.engine.nativeapi.NativeModel;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@link Jllm#load} loads and how the engine runs it: vLLM's engine arguments under their Java names
 * (`--max-model-len` is {@code maxModelLen}, …). Build with {@link #builder(Path)}; every other field has vLLM's
 * default (or jllm's where vLLM has none).
 *
 * @param model               a Hugging Face model directory (config.json + *.safetensors + tokenizer files) or a .gguf file
 * @param tokenizer           a directory with tokenizer.json, or null for the model's own tokenizer
 * @param loadFormat          how to read the weights; {@code DUMMY} fills the model's shapes with random weights
 * @param dtype               weight storage: "auto" (the files' dtype), "bfloat16", "float16" or "float32"
 * @param kvCacheDtype        "auto" (the weights' 16-bit dtype; F16 for quantized weights), "bf16", "fp16" or "fp32"
 * @param maxModelLen         context length in tokens; 0 = the model's, fitted to the KV cache
 * @param kvCacheBytes        KV cache budget in bytes; 0 = the native default (64 full-length sequences, at most 1 GiB)
 * @param blockSize           tokens per KV block (paged attention)
 * @param maxNumSeqs          sequences one engine step may run
 * @param maxNumBatchedTokens tokens one engine step may run
 * @param maxLogprobs         the most logprobs a request may ask for
 * @param enablePrefixCaching share the KV blocks of identical prompt prefixes between requests
 * @param threads             CPU threads for the forward pass; 0 = one per core
 * @param swapBytes           host memory for swapping out preempted multi-sequence requests; 0 = recompute only
 * @param seed                the generator of requests without a seed of their own
 * @param chatTemplate        a Jinja chat template's source, or null for the model's own
 * @param numBlocks           KV blocks to allocate instead of sizing by kvCacheBytes; 0 = size by bytes
 * @param maxWaitingRequests  requests queued and not yet scheduled before new ones are refused (429); 0 = 4 x maxNumSeqs
 * @param maxWaitingTokens    prompt tokens of those before new ones are refused; 0 = 16 x max(maxNumBatchedTokens, maxModelLen)
 * @param watchdogSeconds     an engine step running longer than this marks the engine unhealthy
 */
public record ModelOptions(Path model, Path tokenizer, NativeModel.Format loadFormat, String dtype, String kvCacheDtype,
                           int maxModelLen, long kvCacheBytes, int blockSize, int maxNumSeqs, int maxNumBatchedTokens,
                           int maxLogprobs, boolean enablePrefixCaching, int threads, long swapBytes, long seed,
                           String chatTemplate, int numBlocks, int maxWaitingRequests, long maxWaitingTokens,
                           double watchdogSeconds) {

    /** Checks the values (the canonical constructor; use {@link #builder}). */
    public ModelOptions {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(loadFormat, "loadFormat");
        if (maxModelLen < 0) throw new IllegalArgumentException("maxModelLen must be 0 (the model's) or positive, got " + maxModelLen);
        if (kvCacheBytes < 0 || swapBytes < 0) throw new IllegalArgumentException("kvCacheBytes and swapBytes must be at least 0");
        if (blockSize < 1 || threads < 0 || maxLogprobs < 0 || numBlocks < 0 || maxWaitingRequests < 0) throw new IllegalArgumentException("blockSize must be at least 1, threads, maxLogprobs, numBlocks and maxWaitingRequests at least 0");
        weightDtypeCode(dtype);
        kvCacheDtypeCode(kvCacheDtype);
        engineConfig(maxNumBatchedTokens, maxNumSeqs, enablePrefixCaching, maxLogprobs, seed, maxWaitingRequests,
                maxWaitingTokens, watchdogSeconds);  // its checks, before anything loads
    }

    /** The engine's scheduling and admission limits. */
    EngineConfig engineConfig() {
        return engineConfig(maxNumBatchedTokens, maxNumSeqs, enablePrefixCaching, maxLogprobs, seed, maxWaitingRequests,
                maxWaitingTokens, watchdogSeconds);
    }

    private static EngineConfig engineConfig(int maxNumBatchedTokens, int maxNumSeqs, boolean enablePrefixCaching, int maxLogprobs,
                                             long seed, int maxWaitingRequests, long maxWaitingTokens, double watchdogSeconds) {
        return new EngineConfig(maxNumBatchedTokens, maxNumSeqs, enablePrefixCaching, maxLogprobs, seed,
                maxWaitingRequests == 0 ? EngineConfig.defaultMaxWaitingRequests(maxNumSeqs) : maxWaitingRequests,
                maxWaitingTokens, watchdogSeconds);
    }

    /**
     * vLLM's --dtype values as the native JLLM_DTYPE_* code of float weight storage.
     *
     * @param v "auto", "bfloat16", "float16"/"half" or "float32"/"float"
     * @return the code, or -1 for auto
     * @throws IllegalArgumentException another value
     */
    public static int weightDtypeCode(String v) {
        return switch (v) {
            case "auto" -> -1;
            case "bfloat16" -> 30;
            case "float16", "half" -> 1;
            case "float32", "float" -> 0;
            default -> throw new IllegalArgumentException("--dtype " + v + " is not supported (auto, bfloat16, float16, float32)");
        };
    }

    /**
     * vLLM's --kv-cache-dtype values, where jllm has them, as the native JLLM_DTYPE_* code.
     *
     * @param v "auto", "bf16", "fp16" or "fp32" (or their long names)
     * @return the code, or -1 for auto
     * @throws IllegalArgumentException another value (fp8 is not supported by the CPU backend)
     */
    public static int kvCacheDtypeCode(String v) {
        return switch (v) {
            case "auto" -> -1;
            case "bf16", "bfloat16" -> 30;
            case "fp16", "float16" -> 1;
            case "fp32", "float32" -> 0;
            default -> throw new IllegalArgumentException("--kv-cache-dtype " + v + " is not supported"
                    + (v.startsWith("fp8") ? ": the CPU backend has no fp8 KV cache" : "") + " (auto, bf16, fp16, fp32)");
        };
    }

    /**
     * A builder with vLLM's defaults.
     *
     * @param model a Hugging Face model directory or a .gguf file
     * @return the builder
     */
    public static Builder builder(Path model) {
        return new Builder(model);
    }

    /** Mutable builder with vLLM's defaults. */
    public static final class Builder {
        private final Path model;
        private Path tokenizer;
        private NativeModel.Format loadFormat = NativeModel.Format.AUTO;
        private String dtype = "auto", kvCacheDtype = "auto";
        private int maxModelLen, blockSize = 16, maxNumSeqs = 256, maxNumBatchedTokens = 2048, maxLogprobs = 20, threads;
        private long kvCacheBytes, swapBytes;
        private boolean enablePrefixCaching;
        private long seed = new java.security.SecureRandom().nextLong();
        private String chatTemplate;
        private int numBlocks, maxWaitingRequests;
        private long maxWaitingTokens;
        private double watchdogSeconds = EngineConfig.DEFAULT_WATCHDOG_SECONDS;

        private Builder(Path model) {
            this.model = model;
        }

        /**
         * Sets {@link ModelOptions#tokenizer()}.
         *
         * @param dir the value
         * @return this builder
         */
        public Builder tokenizer(Path dir) { this.tokenizer = dir; return this; }
        /**
         * Sets {@link ModelOptions#loadFormat()}.
         *
         * @param f the value
         * @return this builder
         */
        public Builder loadFormat(NativeModel.Format f) { this.loadFormat = f; return this; }
        /**
         * Sets {@link ModelOptions#dtype()}.
         *
         * @param d the value
         * @return this builder
         */
        public Builder dtype(String d) { this.dtype = d; return this; }
        /**
         * Sets {@link ModelOptions#kvCacheDtype()}.
         *
         * @param d the value
         * @return this builder
         */
        public Builder kvCacheDtype(String d) { this.kvCacheDtype = d; return this; }
        /**
         * Sets {@link ModelOptions#maxModelLen()}.
         *
         * @param tokens the value
         * @return this builder
         */
        public Builder maxModelLen(int tokens) { this.maxModelLen = tokens; return this; }
        /**
         * Sets {@link ModelOptions#kvCacheBytes()}.
         *
         * @param bytes the value
         * @return this builder
         */
        public Builder kvCacheBytes(long bytes) { this.kvCacheBytes = bytes; return this; }
        /**
         * Sets {@link ModelOptions#blockSize()}.
         *
         * @param tokens the value
         * @return this builder
         */
        public Builder blockSize(int tokens) { this.blockSize = tokens; return this; }
        /**
         * Sets {@link ModelOptions#maxNumSeqs()}.
         *
         * @param n the value
         * @return this builder
         */
        public Builder maxNumSeqs(int n) { this.maxNumSeqs = n; return this; }
        /**
         * Sets {@link ModelOptions#maxNumBatchedTokens()}.
         *
         * @param n the value
         * @return this builder
         */
        public Builder maxNumBatchedTokens(int n) { this.maxNumBatchedTokens = n; return this; }
        /**
         * Sets {@link ModelOptions#maxLogprobs()}.
         *
         * @param n the value
         * @return this builder
         */
        public Builder maxLogprobs(int n) { this.maxLogprobs = n; return this; }
        /**
         * Sets {@link ModelOptions#enablePrefixCaching()}.
         *
         * @param on the value
         * @return this builder
         */
        public Builder enablePrefixCaching(boolean on) { this.enablePrefixCaching = on; return this; }
        /**
         * Sets {@link ModelOptions#threads()}.
         *
         * @param n the value
         * @return this builder
         */
        public Builder threads(int n) { this.threads = n; return this; }
        /**
         * Sets {@link ModelOptions#swapBytes()}.
         *
         * @param bytes the value
         * @return this builder
         */
        public Builder swapBytes(long bytes) { this.swapBytes = bytes; return this; }
        /**
         * Sets {@link ModelOptions#seed()}.
         *
         * @param s the value
         * @return this builder
         */
        public Builder seed(long s) { this.seed = s; return this; }
        /**
         * Sets {@link ModelOptions#chatTemplate()}.
         *
         * @param source the value
         * @return this builder
         */
        public Builder chatTemplate(String source) { this.chatTemplate = source; return this; }
        /**
         * Sets {@link ModelOptions#numBlocks()}.
         *
         * @param n the value
         * @return this builder
         */
        public Builder numBlocks(int n) { this.numBlocks = n; return this; }
        /**
         * Sets {@link ModelOptions#maxWaitingRequests()}.
         *
         * @param n the value
         * @return this builder
         */
        public Builder maxWaitingRequests(int n) { this.maxWaitingRequests = n; return this; }
        /**
         * Sets {@link ModelOptions#maxWaitingTokens()}.
         *
         * @param n the value
         * @return this builder
         */
        public Builder maxWaitingTokens(long n) { this.maxWaitingTokens = n; return this; }
        /**
         * Sets {@link ModelOptions#watchdogSeconds()}.
         *
         * @param s the value
         * @return this builder
         */
        public Builder watchdogSeconds(double s) { this.watchdogSeconds = s; return this; }

        /**
         * The options, checked.
         *
         * @return the options
         * @throws IllegalArgumentException a value out of range (the message names it)
         */
        public ModelOptions build() {
            return new ModelOptions(model, tokenizer, loadFormat, dtype, kvCacheDtype, maxModelLen, kvCacheBytes, blockSize,
                    maxNumSeqs, maxNumBatchedTokens, maxLogprobs, enablePrefixCaching, threads, swapBytes, seed, chatTemplate,
                    numBlocks, maxWaitingRequests, maxWaitingTokens, watchdogSeconds);
        }
    }
}
