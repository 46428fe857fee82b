package dev.jllm.api;

import dev.jllm.engine.Engine;
import dev.jllm.engine.RequestRejected;
import dev.jllm.engine.SamplingParams;
import dev.jllm.engine.TokenLogprob;
import dev.jllm.engine.nativeapi.NativeExecutor;
import dev.jllm.engine.nativeapi.NativeLibrary;
import dev.jllm.engine.nativeapi.NativeModel;
import dev.jllm.structured.Constraints;
import dev.jllm.tokenizer.ChatTemplate;
import dev.jllm.tokenizer.RenderLimits;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * jllm in-process: a loaded model with its tokenizer, KV cache and engine thread (continuous batching, paged KV
 * blocks, prefix caching, preemption), shared by every thread of the JVM — concurrent calls batch together.
 * The HTTP server is a layer over this class.
 *
 * <pre>{@code
 * try (Jllm llm = Jllm.load(ModelOptions.builder(Path.of("stories260K.gguf")).build())) {
 *     SamplingParams p = SamplingParams.builder();  p.temperature = 0; p.maxTokens = 32;
 *     System.out.println(llm.generate("Once upon a time", p.build()).text());
 * }
 * }</pre>
 *
 * Requests are described by {@link SamplingParams} (vLLM's sampling parameters; structured output through
 * {@link #constraints()}). Refusals and failures are {@link JllmException}s carrying an HTTP-style status.
 * {@link #close()} may run while requests are in flight: they end with a 503 {@link JllmException} ("cancelled").
 */
public final class Jllm implements AutoCloseable {
    /**
     * What was loaded and how much room the KV cache has.
     *
     * @param architecture the model's architecture (Hugging Face name, e.g. LlamaForCausalLM)
     * @param vocabSize    rows of the embedding table
     * @param numLayers    decoder layers
     * @param numParams    parameters
     * @param weightBytes  bytes of weights in memory
     * @param weightDtype  JLLM_DTYPE_* of the weights (0 f32, 1 f16, 30 bf16, else a GGUF quant type)
     * @param maxModelLen  the context length in tokens (fitted to the KV cache unless given)
     * @param numBlocks    KV cache blocks
     * @param blockSize    tokens per KV block
     * @param blockBytes   bytes per KV block (all layers, K and V)
     * @param kvCacheDtype JLLM_DTYPE_* of the KV cache
     * @param backend      the native backend ("cpu")
     * @param numThreads   threads of the forward pass
     */
    public record Info(String architecture, int vocabSize, int numLayers, long numParams, long weightBytes, int weightDtype,
                       int maxModelLen, int numBlocks, int blockSize, long blockBytes, int kvCacheDtype, String backend,
                       int numThreads) {}

    private final NativeModel model;
    private final Tokenizer tokenizer;
    private final Engine engine;
    private final ChatTemplate chatTemplate;
    private final Info info;
    private final int maxLogprobs;
    private volatile boolean closed;
    private boolean freed;

    private Jllm(NativeModel model, Tokenizer tokenizer, Engine engine, ChatTemplate chatTemplate, Info info, int maxLogprobs) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.engine = engine;
        this.chatTemplate = chatTemplate;
        this.info = info;
        this.maxLogprobs = maxLogprobs;
    }

    /**
     * Loads the model, its tokenizer and chat template, allocates the KV cache and starts the engine thread.
     *
     * @param o what to load and how to run it
     * @return the loaded model; close it to free its native memory
     * @throws IllegalArgumentException the files or options cannot be used (the message says why, with numbers)
     * @throws IOException              a file could not be read
     */
    public static Jllm load(ModelOptions o) throws IOException {
        NativeLibrary.ensureLoaded();
        // 1. weights (native memory, memory-mapped where the file allows)
        NativeModel model = NativeModel.load(o.model().toString(), o.loadFormat(), 0, o.maxModelLen(), ModelOptions.weightDtypeCode(o.dtype()));
        Tokenizer tok = null;
        NativeExecutor exec = null;
        try {
            NativeModel.Info mi = model.info();
            // 2. tokenizer: every id it can produce must have an embedding
            tok = Tokenizers.load(o.model(), o.tokenizer());
            checkVocabularies(tok, mi.vocabSize());
            String templateSource = o.chatTemplate() != null ? o.chatTemplate() : tok.chatTemplate();
            ChatTemplate template = templateSource == null ? null : new ChatTemplate(templateSource, RenderLimits.DEFAULT);
            // 3. KV cache and step buffers (max_model_len fitted to the cache unless given)
            exec = new NativeExecutor(model, new NativeExecutor.Config(o.blockSize(), o.numBlocks(), o.kvCacheBytes(), 0,
                    o.maxNumBatchedTokens(), o.maxNumSeqs(), o.maxLogprobs(), o.threads(), ModelOptions.kvCacheDtypeCode(o.kvCacheDtype()),
                    o.maxModelLen(), 0, o.swapBytes()));
            NativeExecutor.Info ei = exec.info();
            // 4. the engine thread
            Engine engine = new Engine(exec, tok, o.engineConfig());
            Info info = new Info(mi.architecture(), mi.vocabSize(), mi.numLayers(), mi.numParams(), mi.weightBytes(), mi.weightDtype(),
                    ei.maxModelLen(), ei.numBlocks(), ei.blockSize(), ei.blockBytes(), ei.kvCacheDtype(), ei.backend(), ei.numThreads());
            return new Jllm(model, tok, engine, template, info, o.maxLogprobs());
        } catch (RuntimeException | IOException | Error e) {
            if (exec != null) exec.close();
            if (tok != null) tok.close();
            model.close();
            throw e;
        }
    }

    /**
     * A tokenizer may hold a few special ids past the model's embedding rows (Gemma 3's text models: 262,144 rows,
     * and `<image_soft_token>` at 262144, as transformers and vLLM accept); prompts holding them are refused per
     * request (Admission). Text tokens past the rows, or many extra ids, mean the wrong tokenizer: refused here.
     */
    static void checkVocabularies(Tokenizer tok, int modelVocab) {
        int extra = tok.vocabSize() - modelVocab;
        boolean allSpecial = true;
        for (int id = modelVocab; id < tok.vocabSize() && allSpecial; id++) allSpecial = tok.isSpecial(id);
        if (extra > 0 && (extra > 64 || !allSpecial))
            throw new IllegalArgumentException("the tokenizer has " + tok.vocabSize() + " tokens but the model's vocabulary has "
                    + modelVocab + ": ids past " + (modelVocab - 1) + " have no embedding (wrong tokenizer?)");
        if (extra > 0)
            java.util.logging.Logger.getLogger("jllm").warning("the tokenizer's " + extra + " special token(s) from id " + modelVocab
                    + " have no embedding in the model; prompts holding them are refused");
    }

    /**
     * What was loaded.
     *
     * @return sizes, dtypes and the KV cache's room
     */
    public Info info() {
        return info;
    }

    /**
     * The model's tokenizer (thread-safe).
     *
     * @return the tokenizer
     */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The engine, for layers that speak a protocol over it (the HTTP server).
     *
     * @return the engine
     */
    public Engine engine() {
        return engine;
    }

    /**
     * The chat template.
     *
     * @return ModelOptions.chatTemplate, else the model's own, else null
     */
    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    /**
     * Structured output for {@code SamplingParams.Builder.constraint}: regex, choice, JSON schema, JSON object and
     * grammar constraints over this model's vocabulary.
     *
     * @return the constraint factory
     */
    public Constraints constraints() {
        return Constraints.of(tokenizer);
    }

    /**
     * Token ids of text.
     *
     * @param text             the text
     * @param addSpecialTokens add the BOS the model expects (as the completions API does)
     * @return the ids
     */
    public int[] tokenize(String text, boolean addSpecialTokens) {
        checkOpen();
        return tokenizer.encode(text, addSpecialTokens, true);
    }

    /**
     * The text of token ids.
     *
     * @param ids               the ids
     * @param skipSpecialTokens leave special tokens out
     * @return the text
     */
    public String detokenize(int[] ids, boolean skipSpecialTokens) {
        checkOpen();
        return tokenizer.decode(ids, 0, ids.length, skipSpecialTokens);
    }

    /**
     * Generates from a text prompt (BOS added as the model expects) and waits for the result.
     *
     * @param prompt the prompt
     * @param params sampling parameters
     * @return the result
     * @throws JllmException refused (400, 429, 503) or failed
     */
    public Completion generate(String prompt, SamplingParams params) {
        return generate(tokenize(prompt, true), params);
    }

    /**
     * Generates from token ids and waits for the result.
     *
     * @param promptIds the prompt's token ids
     * @param params    sampling parameters
     * @return the result
     * @throws JllmException refused (400, 429, 503) or failed
     */
    public Completion generate(int[] promptIds, SamplingParams params) {
        try (CompletionStream s = stream(promptIds, params)) {
            return collect(s);
        }
    }

    /**
     * Streams the generation of a text prompt (BOS added as the model expects).
     *
     * @param prompt the prompt
     * @param params sampling parameters
     * @return the outputs as they come; close it to cancel
     * @throws JllmException refused (400, 429, 503)
     */
    public CompletionStream stream(String prompt, SamplingParams params) {
        return stream(tokenize(prompt, true), params);
    }

    /**
     * Submits a request and returns its outputs as they come. Refusals are thrown here: 400 (cannot run with this
     * model: empty or too long a prompt, bad parameters), 429 (the waiting queue is full), 503 (closing).
     *
     * @param promptIds the prompt's token ids
     * @param params    sampling parameters
     * @return the outputs as they come; close it to cancel
     * @throws JllmException refused
     */
    public CompletionStream stream(int[] promptIds, SamplingParams params) {
        checkOpen();
        try {
            params.validate(maxLogprobs);
        } catch (IllegalArgumentException e) {
            throw new JllmException(e.getMessage(), 400);
        }
        String id = "jllm-" + UUID.randomUUID();
        try {
            return new CompletionStream(engine, engine.submit(id, promptIds.clone(), params));
        } catch (RequestRejected e) {
            throw new JllmException(e.getMessage(), e.status());
        }
    }

    /**
     * Renders messages (maps with "role", "content" and, for tool calls, the OpenAI keys) with the chat template,
     * generation prompt added, and generates.
     *
     * @param messages the conversation
     * @param tools    OpenAI function tools as maps, or null
     * @param params   sampling parameters
     * @return the result
     * @throws JllmException no chat template, the template failed, or the request was refused or failed
     */
    public Completion chat(List<Map<String, Object>> messages, List<Map<String, Object>> tools, SamplingParams params) {
        return generate(chatPrompt(messages, tools), params);
    }

    /**
     * As {@link #chat}, streaming.
     *
     * @param messages the conversation
     * @param tools    OpenAI function tools as maps, or null
     * @param params   sampling parameters
     * @return the outputs as they come; close it to cancel
     * @throws JllmException no chat template, the template failed, or the request was refused
     */
    public CompletionStream chatStream(List<Map<String, Object>> messages, List<Map<String, Object>> tools, SamplingParams params) {
        return stream(chatPrompt(messages, tools), params);
    }

    /**
     * The token ids of a conversation rendered with the chat template and a generation prompt.
     *
     * @param messages the conversation
     * @param tools    OpenAI function tools as maps, or null
     * @return the prompt's token ids
     * @throws JllmException no chat template, or the template failed
     */
    public int[] chatPrompt(List<Map<String, Object>> messages, List<Map<String, Object>> tools) {
        checkOpen();
        if (chatTemplate == null)
            throw new JllmException("this model has no chat template: set ModelOptions.chatTemplate", 400);
        if (messages.isEmpty()) throw new JllmException("messages must not be empty", 400);
        String text;
        try {
            text = chatTemplate.render(messages, tools, null, true, Map.of(), tokenizer.bosToken(), tokenizer.eosToken(), RenderLimits.DEFAULT);
        } catch (RuntimeException e) {
            throw new JllmException("the chat template failed: " + e.getMessage(), 400);
        }
        boolean addBos = tokenizer.bosToken() == null || !text.startsWith(tokenizer.bosToken());
        return tokenizer.encode(text, addBos && tokenizer.addsBos(), true);
    }

    /**
     * Stops accepting requests, lets running ones finish for up to `drain` (then they end with a 503
     * {@link JllmException}), joins the engine thread and frees native memory. Returns false if the engine thread
     * did not stop (native memory is then left to the process exit).
     *
     * @param drain how long running requests may go on
     * @return whether native memory was freed
     */
    public synchronized boolean shutdown(Duration drain) {
        closed = true;
        if (freed) return true;
        if (!engine.shutdown(drain, Duration.ofSeconds(30))) return false;
        model.close();
        tokenizer.close();
        freed = true;
        return true;
    }

    /** {@link #shutdown} without waiting for running requests: they end with a 503 {@link JllmException}. Idempotent. */
    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    private void checkOpen() {
        if (closed) throw new JllmException("this model is closed", 503);
    }

    /** Reads a stream to its end into a Completion. */
    private static Completion collect(CompletionStream s) {
        TreeMap<Integer, Acc> acc = new TreeMap<>();
        while (s.hasNext()) {
            CompletionStream.Delta d = s.next();
            acc.computeIfAbsent(d.index(), i -> new Acc()).add(d);
        }
        List<Completion.Choice> choices = new ArrayList<>();
        for (var e : acc.entrySet()) choices.add(e.getValue().choice(e.getKey()));
        return new Completion(s.requestId(), s.promptTokens(), choices);
    }

    /** One choice's text, tokens and logprobs as its deltas arrive. */
    private static final class Acc {
        final StringBuilder text = new StringBuilder();
        int[] ids = new int[0];
        final List<TokenLogprob> logprobs = new ArrayList<>();
        String finishReason;
        Object stopReason;
        double cumulativeLogprob;

        void add(CompletionStream.Delta d) {
            // a delta replaces what follows its offsets (best_of sends the chosen output whole)
            text.setLength(Math.min(text.length(), d.textOffset()));
            text.append(d.text());
            int keep = Math.max(0, Math.min(ids.length, d.outputTokens() - d.tokenIds().length));
            int[] all = Arrays.copyOf(ids, keep + d.tokenIds().length);
            System.arraycopy(d.tokenIds(), 0, all, keep, d.tokenIds().length);
            ids = all;
            if (d.logprobs() != null) {
                while (logprobs.size() > keep) logprobs.removeLast();
                logprobs.addAll(d.logprobs());
            }
            if (d.finishReason() != null) {
                finishReason = d.finishReason();
                stopReason = d.stopReason();
            }
            cumulativeLogprob = d.cumulativeLogprob();
        }

        Completion.Choice choice(int index) {
            return new Completion.Choice(index, text.toString(), ids, List.copyOf(logprobs), finishReason, stopReason, cumulativeLogprob);
        }
    }
}
