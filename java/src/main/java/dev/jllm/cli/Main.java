package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.engine.Engine;
import dev.jllm.engine.EngineConfig;
import dev.jllm.api.Jllm;
import dev.jllm.api.ModelOptions;
import dev.jllm.engine.nativeapi.NativeLibrary;
import dev.jllm.engine.nativeapi.NativeModel;
import dev.jllm.server.OpenAiServer;
import dev.jllm.server.ServerContext;
import dev.jllm.tokenizer.ChatTemplate;
import dev.jllm.tokenizer.RenderLimits;
import dev.jllm.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

/** `jllm serve --model ...` and the other subcommands. */
public final class Main {
    private static final Logger LOG = Logger.getLogger("jllm");

    static final Set<String> BOOLEANS = Set.of("enable-auto-tool-choice", "enable-prefix-caching", "allow-credentials", "disable-log-requests",
            "enable-chunked-prefill", "trust-remote-code", "disable-log-stats", "enforce-eager",
            "trust-request-chat-template", "disable-metrics-auth");
    static final Set<String> MULTI = Set.of("served-model-name", "api-key");
    static final Set<String> KNOWN = Set.of("model", "served-model-name", "host", "port", "api-key", "tokenizer",
            "load-format", "max-model-len", "block-size", "kv-cache-memory", "num-gpu-blocks-override", "swap-space",
            "max-num-seqs", "max-num-batched-tokens", "enable-prefix-caching", "max-logprobs", "chat-template",
            "response-role", "allowed-origins", "allowed-methods", "allowed-headers", "allow-credentials",
            "disable-log-requests", "max-log-len", "threads", "seed", "dtype", "native-lib", "ssl-keyfile",
            "ssl-certfile", "enable-chunked-prefill", "preemption-mode", "trust-remote-code", "revision", "gguf-file",
            "disable-log-stats", "enforce-eager", "max-request-bytes", "max-waiting-requests", "root-path", "kv-cache-space",
            "generation-config", "tensor-parallel-size", "pipeline-parallel-size", "quantization", "lora-modules",
            "enable-lora", "speculative-model", "gpu-memory-utilization", "enable-auto-tool-choice", "tool-call-parser",
            "max-waiting-tokens", "shutdown-timeout", "watchdog-timeout",
            "trust-request-chat-template", "chat-template-timeout", "chat-template-content-format", "max-prompt-chars",
            "max-connections", "http-header-timeout", "http-read-timeout", "http-idle-timeout", "http-write-timeout",
            "disable-metrics-auth", "kv-cache-dtype", "responses-store-size", "task", "runner", "convert");
    static final Set<String> REFUSED = Set.of("quantization", "lora-modules", "enable-lora", "speculative-model");

    static final String HELP = """
            jllm %s — an OpenAI-compatible LLM inference server on the JVM

            usage: jllm serve --model <local dir | file.gguf | org/name on the Hugging Face Hub> [options]
                   jllm render-chat --chat-template T --request FILE [--bos-token S] [--eos-token S] [--date YYYY-MM-DD]
                   jllm --version | --help

            serve options (vLLM's names):
              --model PATH                  Hugging Face directory (config.json, *.safetensors, tokenizer.json) or .gguf file
              --revision REV                hub revision for an org/name model (default main)
              --gguf-file NAME.gguf         pick a GGUF file inside a directory or hub repository
              --served-model-name NAME...   names clients use in "model" (default: the model path)
              --host HOST / --port PORT     listen address (default 0.0.0.0:8000)
              --api-key KEY...              required as "Authorization: Bearer KEY" (or "x-api-key: KEY") on every route but /health (also env JLLM_API_KEY, comma-separated)
              --disable-metrics-auth        serve /metrics without the API key (for Prometheus scrapers)
              --tokenizer DIR               tokenizer directory (default: the model's)
              --load-format auto|safetensors|gguf|dummy   dummy = random weights from config.json (benchmarks)
              --dtype auto|bfloat16|float16|float32   storage of float weight matrices (the CPU computes in float32,
                                            but BF16 matmuls of 2+ rows on bf16-rounded activations where the CPU has
                                            AVX512-BF16, as llama.cpp): auto keeps the file's dtype (BF16/F16 stay memory-mapped;
                                            dummy weights follow config.json torch_dtype); another value converts the
                                            float matrices once at load (float32 doubles BF16 memory). Quantized GGUF
                                            tensors stay quantized.
              --kv-cache-dtype auto|bf16|fp16|fp32   KV cache storage (auto: the weights' dtype, fp16 for quantized
                                            weights); attention computes in float32. fp8 is not supported
              --max-model-len N             cap the context length (default: the model's, lowered with a warning to
                                            what the KV cache holds; an explicit value that does not fit is refused)
              --block-size N                tokens per KV block (default 16)
              --kv-cache-memory SIZE        KV cache budget, e.g. 512M, 2G (default: 64 full-length sequences, at most 1G);
                                            a budget the machine's free memory cannot hold is refused at start
              --num-gpu-blocks-override N   exact number of KV blocks
              --max-num-seqs N              sequences per step (default 256)
              --max-num-batched-tokens N    tokens per step (default 2048)
              --enable-prefix-caching       reuse KV blocks of shared prompt prefixes
              --swap-space GIB              host pool for swapping out n/best_of/beam requests (default 1; 0 = recompute)
              --preemption-mode recompute|swap   recompute disables the swap pool
              --max-logprobs N              cap of logprobs / top_logprobs (default 20)
              --chat-template T             a file, an inline template, or a bundled name (chatml, llama-3, ...)
              --chat-template-content-format auto|string|openai   message content as templates get it: one string
                                            (text parts joined with "\\n") or a list of {"type": "text"} parts; auto
                                            (default): a list where the template loops over a message's content
                                            (Gemma 3, Llama 4), as vLLM detects it; shown at start-up
              --trust-request-chat-template use a request's own chat_template (refused by default, as in vLLM)
              --chat-template-timeout S     wall time of one chat-template rendering, then 400 (default 2)
              --max-prompt-chars N          most characters a template may render or a route tokenize (default 8M)
              --response-role ROLE          role of chat replies (default assistant)
              --allowed-origins JSON --allowed-methods JSON --allowed-headers JSON --allow-credentials   CORS
              --threads N                   compute threads (default: all cores)
              --seed N                      seed of the engine: unseeded requests draw from it (default: random)
              --kv-cache-space GIB          KV cache budget in GiB (alias of --kv-cache-memory)
              --generation-config auto|vllm|DIR   sampling defaults from generation_config.json (default auto)
              --root-path PATH              also serve every route under PATH (behind a reverse proxy)
              --tool-call-parser hermes|llama3_json|mistral   how tool calls are read from replies (tool_choice "auto",
                                            the default when a request has tools); default: the one the chat template
                                            implies (<tool_call> → hermes, Llama 3.x/4 → llama3_json, [TOOL_CALLS] →
                                            mistral), shown at start-up
              --enable-auto-tool-choice     accepted for vLLM compatibility (auto is on wherever a parser is known)
              --responses-store-size N      finished /v1/responses kept in memory for GET and previous_response_id,
                                            least recently used dropped first (default 100; 0 = store nothing)
              --max-log-len N               characters of a prompt shown in the request log (default 200; 0 = all);
                                            --disable-log-requests logs none
              --max-request-bytes SIZE      request body limit (default 16M)
              --max-waiting-requests N      requests queued before new ones get 429 + Retry-After (default 4 x max-num-seqs)
              --max-waiting-tokens N        prompt tokens queued before new ones get 429 (default 16 x max(max-num-batched-tokens, max-model-len))
              --shutdown-timeout SECONDS    on SIGTERM: refuse new requests (503), let running ones finish this long, abort the rest (default 30)
              --watchdog-timeout SECONDS    /health answers 503 while one engine step runs longer than this (default 120)
              --max-connections N           client connections at once; more get 503 (default 2048, capped by the fd limit)
              --http-header-timeout SECONDS request line + headers must arrive within this (default 20; 408 after)
              --http-read-timeout SECONDS   longest silence while reading a request body (default 30; 408 after)
              --http-idle-timeout SECONDS   idle keep-alive connections are closed after this (default 60)
              --http-write-timeout SECONDS  a client that reads nothing for this long is dropped, its requests aborted (default 60)
              --ssl-keyfile PEM --ssl-certfile PEM   serve HTTPS
              --native-lib PATH             libjllm.so to load
              --task auto|generate|embed    embed serves /v1/embeddings (completions and chat answer 400); auto (default):
                                            embed for BERT-family encoders and sentence-transformers directories
                                            (modules.json). Also --runner pooling|generate, --convert embed (vLLM)
            """;

    public static void main(String[] argv) throws Exception {
        // DJL's tokenizer logs through SLF4J, which has no provider here: without this it prints three "No SLF4J
        // providers" warnings at every start (its messages are not needed: jllm reports tokenizer errors itself)
        if (System.getProperty("slf4j.internal.verbosity") == null) System.setProperty("slf4j.internal.verbosity", "ERROR");
        configureLogging();
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            System.out.printf(HELP, OpenAiServer.VERSION);
            return;
        }
        if (argv[0].equals("--version") || argv[0].equals("version")) {
            System.out.println("jllm " + OpenAiServer.VERSION);
            return;
        }
        if (argv[0].equals("render-chat")) {
            System.exit(renderChat(Arrays.copyOfRange(argv, 1, argv.length), System.out, System.err));
        }
        if (argv[0].equals("serve") && Arrays.asList(argv).subList(1, argv.length).stream()
                .anyMatch(x -> x.equals("--help") || x.equals("-h"))) {
            System.out.printf(HELP, OpenAiServer.VERSION);
            return;
        }
        if (!argv[0].equals("serve")) {
            System.err.println("jllm: unknown command '" + argv[0] + "' (try: jllm serve --model PATH, jllm --help)");
            System.exit(2);
        }
        System.exit(serveCli(Arrays.copyOfRange(argv, 1, argv.length), System.err, new CountDownLatch(1)));
    }

    /**
     * `jllm serve`: runs until `stop` counts down and returns 0, or prints `jllm: <reason>` (no stack trace; set
     * JLLM_STACKTRACE=1 for one) and returns 1 when the server cannot start.
     */
    static int serveCli(String[] argv, java.io.PrintStream err, CountDownLatch stop) {
        try {
            serve(argv, stop);
            return 0;
        } catch (Throwable e) {
            err.println("jllm: " + startupError(e));
            if (System.getenv("JLLM_STACKTRACE") != null) e.printStackTrace(err);
            err.flush();
            return 1;
        }
    }

    /** One line for a failed start-up: the native detail, or the message of the exception or its first cause. */
    static String startupError(Throwable e) {
        if (e instanceof dev.jllm.engine.nativeapi.JllmException j) return j.detail();
        Throwable c = e;
        String m = c.getMessage();
        while ((m == null || m.isBlank()) && c.getCause() != null) {
            c = c.getCause();
            m = c.getMessage();
        }
        if (c instanceof java.nio.file.NoSuchFileException) return "no such file: " + m;
        if (c instanceof OutOfMemoryError) return "out of Java heap memory (" + m + "); raise -Xmx";
        if (m == null || m.isBlank()) return c.getClass().getSimpleName();
        boolean expected = c instanceof IllegalArgumentException || c instanceof IllegalStateException || c instanceof IOException;
        return expected ? m : m + " (" + c.getClass().getSimpleName() + ")";
    }

    /** A JLLM_DTYPE_* (= ggml_type) value's name: vLLM's for float dtypes, GGUF's for block-quantized ones. */
    static String dtypeName(int dtype) {
        return switch (dtype) {
            case 0 -> "float32";
            case 1 -> "float16";
            case 30 -> "bfloat16";
            case 2 -> "Q4_0";
            case 3 -> "Q4_1";
            case 6 -> "Q5_0";
            case 7 -> "Q5_1";
            case 8 -> "Q8_0";
            case 10 -> "Q2_K";
            case 11 -> "Q3_K";
            case 12 -> "Q4_K";
            case 13 -> "Q5_K";
            case 14 -> "Q6_K";
            default -> "ggml type " + dtype;
        };
    }

    /** "Q8_0 weights", or for a GGUF file of mixed types "Q5_0 weights, file type Q4_K_M" (its largest weights). */
    static String weightsLine(int dtype, Path model) {
        String ft = ggufFileType(model), name = dtypeName(dtype);
        String sameType = switch (dtype) {  // the file type of a file all in this dtype
            case 0 -> "F32";
            case 1 -> "F16";
            case 30 -> "BF16";
            default -> name;
        };
        return name + " weights" + (ft == null || ft.equals(sameType) ? "" : ", file type " + ft);
    }

    /** A GGUF file's general.file_type name, e.g. "Q4_K_M"; null when absent or unknown. */
    static String ggufFileType(Path model) {
        try {
            if (!Files.isRegularFile(model) || !model.toString().endsWith(".gguf")) return null;
            return fileTypeName(new dev.jllm.tokenizer.GgufMetadata(model).integer("general.file_type", -1));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** llama.cpp's llama_ftype values (GGUF general.file_type) by name; null for unknown ones. */
    static String fileTypeName(long t) {
        String[] names = {"F32", "F16", "Q4_0", "Q4_1", null, null, null, "Q8_0", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S",
                    "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "IQ2_XXS", "IQ2_XS", "Q2_K_S",
                "IQ3_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ3_M", "IQ2_S", "IQ2_M", "IQ4_XS", "IQ1_M", "BF16"};
        return t >= 0 && t < names.length ? names[(int) t] : null;
    }

    static void configureLogging() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null)
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT %4$s %3$s: %5$s%6$s%n");
        for (java.util.logging.Handler h : Logger.getLogger("").getHandlers()) h.setFormatter(new dev.jllm.server.LogText.OneLine());
    }

    /** Starts the server and blocks until `stop` counts down (or forever). Returns the running server. */
    public static OpenAiServer serve(String[] argv, CountDownLatch stop) throws Exception {
        Args a = new Args(argv, BOOLEANS, MULTI, KNOWN);
        if (!a.positional.isEmpty()) throw new IllegalArgumentException("unexpected argument '" + a.positional.get(0) + "'");
        long t0 = System.nanoTime();
        // 1. what can be checked before the download and the load (which can take minutes)
        int port = a.integer("port", 8000);
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be 0..65535, not " + port);
        if (a.get("max-model-len", null) != null && a.integer("max-model-len", 0) <= 0)
            throw new IllegalArgumentException("--max-model-len must be positive (leave it out for the model's length)");
        String native_ = a.get("native-lib", null);
        if (native_ != null) System.setProperty("jllm.library.path", native_);
        String modelArg = a.get("model", null);
        if (modelArg == null) throw new IllegalArgumentException("--model is required (a model directory or a .gguf file)");
        Path modelPath = Path.of(modelArg);
        String gguf = a.get("gguf-file", null);
        if (!Files.exists(modelPath)) {
            if (!HubDownloader.looksLikeRepoId(modelArg)) throw new IllegalArgumentException("model path '" + modelArg + "' does not exist");
            System.err.println("jllm: fetching " + modelArg + " from the Hugging Face Hub ...");
            modelPath = new HubDownloader(HubDownloader.Config.fromEnvironment(System.getenv(), System.err))
                    .fetch(modelArg, a.get("revision", null), gguf);
        } else if (gguf != null) {
            modelPath = modelPath.resolve(gguf);
        }
        for (String r : REFUSED)
            if (a.get(r, null) != null) throw new IllegalArgumentException("--" + r + " is not supported by jllm yet");
        for (String par : List.of("tensor-parallel-size", "pipeline-parallel-size"))
            if (a.integer(par, 1) != 1) throw new IllegalArgumentException("--" + par + " " + a.get(par, "") + ": jllm runs on one device (1 only)");
        if (a.get("gpu-memory-utilization", null) != null)
            throw new IllegalArgumentException("--gpu-memory-utilization applies to GPUs; the CPU backend sizes its KV cache with --kv-cache-space GIB (or --kv-cache-memory SIZE)");
        String sslKey = a.get("ssl-keyfile", null), sslCert = a.get("ssl-certfile", null);
        if ((sslKey == null) != (sslCert == null)) throw new IllegalArgumentException("--ssl-keyfile and --ssl-certfile go together");
        ModelOptions.weightDtypeCode(a.get("dtype", "auto"));  // refuse a bad value before the download or load
        ModelOptions.kvCacheDtypeCode(a.get("kv-cache-dtype", "auto"));
        String pm = a.get("preemption-mode", null);
        if (pm != null && !pm.equals("recompute") && !pm.equals("swap"))
            throw new IllegalArgumentException("--preemption-mode must be recompute or swap");
        if (a.flag("trust-remote-code")) LOG.warning("--trust-remote-code has no effect: jllm runs no model code");
        NativeModel.Format format = switch (a.get("load-format", "auto")) {
            case "auto" -> NativeModel.Format.AUTO;
            case "safetensors" -> NativeModel.Format.SAFETENSORS;
            case "gguf" -> NativeModel.Format.GGUF;
            case "dummy" -> NativeModel.Format.DUMMY;
            default -> throw new IllegalArgumentException("--load-format must be auto, safetensors, gguf or dummy");
        };

        Boolean embedTask = taskFlags(a);
        int maxModelLen = a.integer("max-model-len", 0);

        String tokDir = a.get("tokenizer", null);
        // KV budget: --kv-cache-space GiB, --kv-cache-memory SIZE, else the native default (64 full-length sequences,
        // at most 1 GiB). max_model_len is fitted to it natively unless --max-model-len was given.
        long kvBytes = a.get("kv-cache-space", null) != null ? (long) (Double.parseDouble(a.get("kv-cache-space", "0")) * (1L << 30))
                : a.bytes("kv-cache-memory", 0);
        // --swap-space GiB of host blocks for swapping out multi-sequence requests (0 = recompute only)
        double swapGiB = Double.parseDouble(a.get("swap-space", "recompute".equals(pm) ? "0" : "1"));
        int maxBatched = a.integer("max-num-batched-tokens", 2048), maxSeqs = a.integer("max-num-seqs", 256);
        int maxLogprobs = a.integer("max-logprobs", 20);
        String seedArg = a.get("seed", null);
        ModelOptions.Builder mo = ModelOptions.builder(modelPath).tokenizer(tokDir == null ? null : Path.of(tokDir)).loadFormat(format)
                .dtype(a.get("dtype", "auto")).kvCacheDtype(a.get("kv-cache-dtype", "auto")).maxModelLen(maxModelLen)
                .kvCacheBytes(kvBytes).blockSize(a.integer("block-size", 16)).numBlocks(a.integer("num-gpu-blocks-override", 0))
                .maxNumSeqs(maxSeqs).maxNumBatchedTokens(maxBatched).maxLogprobs(maxLogprobs)
                .enablePrefixCaching(a.flag("enable-prefix-caching")).threads(a.integer("threads", 0)).swapBytes((long) (swapGiB * (1L << 30)))
                .maxWaitingRequests(a.integer("max-waiting-requests", 0)).maxWaitingTokens(a.integer("max-waiting-tokens", 0))
                .watchdogSeconds(Double.parseDouble(a.get("watchdog-timeout", String.valueOf(EngineConfig.DEFAULT_WATCHDOG_SECONDS))));
        if (seedArg != null) mo.seed(Long.parseLong(seedArg));
        mo.task(embedTask == null ? "auto" : embedTask ? "embed" : "generate");
        Jllm jllm = Jllm.load(mo.build());
        Jllm.Info mi = jllm.info();
        Tokenizer tok = jllm.tokenizer();
        Engine engine = jllm.engine();
        long cacheTokens = (long) mi.numBlocks() * mi.blockSize();
        double shutdownSecs = Double.parseDouble(a.get("shutdown-timeout", "30"));
        if (!(shutdownSecs >= 0)) throw new IllegalArgumentException("--shutdown-timeout must be at least 0 seconds");
        dev.jllm.server.SamplingDefaults defaults = generationDefaults(a.get("generation-config", "auto"), modelPath);

        List<String> names = new ArrayList<>(a.all("served-model-name"));
        if (names.isEmpty()) names.add(modelArg);
        Set<String> keys = new LinkedHashSet<>(a.all("api-key"));
        String envKeys = System.getenv("JLLM_API_KEY");
        if (envKeys != null) for (String k : envKeys.split(",")) if (!k.isBlank()) keys.add(k.trim());
        RenderLimits limits = renderLimits(a);
        ChatTemplate template = chatTemplate(a.get("chat-template", null), tok, limits);
        ChatTemplate toolTemplate = null;
        if (a.get("chat-template", null) == null && tok instanceof dev.jllm.tokenizer.HfTokenizer hf && hf.namedChatTemplate("tool_use") != null)
            toolTemplate = new ChatTemplate(hf.namedChatTemplate("tool_use"), limits);
        dev.jllm.server.ToolParser.Choice tools = toolParser(a, toolTemplate != null ? toolTemplate : template);
        if (template == null) LOG.warning("no chat template: /v1/chat/completions will answer 400 until you pass --chat-template (e.g. --chat-template chatml)");
        ServerContext ctx = new ServerContext(engine, tok, names, a.get("response-role", "assistant"), maxLogprobs, template,
                keys, a.integer("max-log-len", 200), !a.flag("disable-log-requests"), System.currentTimeMillis() / 1000,
                toolTemplate, defaults, rootPath(a.get("root-path", "")), tools.cliName(),
                dev.jllm.server.PromptOptions.of(tok, limits, a.flag("trust-request-chat-template"),
                        dev.jllm.tokenizer.ContentFormat.option(a.get("chat-template-content-format", "auto"))));
        dev.jllm.api.PoolingConfig pooling = jllm.pooling();
        ObjectMapper json = new ObjectMapper();
        OpenAiServer.Options opts = new OpenAiServer.Options(a.get("host", "0.0.0.0"), port,
                jsonList(json, a.get("allowed-origins", "[\"*\"]")), jsonList(json, a.get("allowed-methods", "[\"*\"]")),
                jsonList(json, a.get("allowed-headers", "[\"*\"]")), a.flag("allow-credentials"), a.bytes("max-request-bytes", 16L << 20),
                sslKey == null ? null : Path.of(sslKey), sslCert == null ? null : Path.of(sslCert), httpLimits(a),
                a.flag("disable-metrics-auth"));
        int storeSize = a.integer("responses-store-size", 100);
        if (storeSize < 0) throw new IllegalArgumentException("--responses-store-size must be at least 0");
        OpenAiServer server = new OpenAiServer(ctx, opts, mi.numBlocks(), mi.blockSize(), pooling).responsesStoreSize(storeSize).start();
        if (pooling != null)
            LOG.info("task embed: /v1/embeddings with " + dev.jllm.api.PoolingConfig.poolingName(pooling.pooling()) + " pooling"
                    + (pooling.normalize() ? ", normalized" : "") + ", " + pooling.hiddenSize() + " dimensions");
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("""
                jllm %s serving %s
                  model      %s (%s, %d layers, %.1fM params, %.1f MiB %s)
                  url        %s://%s:%d/v1   (auth: %s)
                  backend    %s, %d threads — %s
                  kv cache   %d blocks x %d tokens = %d tokens (%.1f MiB %s), prefix caching %s
                  context    max_model_len %d, max_num_seqs %d, max_num_batched_tokens %d
                  chat       template content format %s
                  tool calls %s
                  started in %.2f s
                """, OpenAiServer.VERSION, String.join(", ", names), modelArg, mi.architecture(), mi.numLayers(),
                mi.numParams() / 1e6, mi.weightBytes() / 1048576.0, weightsLine(mi.weightDtype(), modelPath), opts.tls() ? "https" : "http", opts.host(), server.port(),
                keys.isEmpty() ? "none" : "API key", mi.backend(), mi.numThreads(), NativeLibrary.buildInfo(),
                mi.numBlocks(), mi.blockSize(), cacheTokens, mi.numBlocks() * (double) mi.blockBytes() / 1048576.0,
                dtypeName(mi.kvCacheDtype()), a.flag("enable-prefix-caching") ? "on" : "off", mi.maxModelLen(), maxSeqs, maxBatched,
                contentFormatLine(a, template), dev.jllm.server.ToolParser.bannerLine(tools), secs);
        System.out.flush();
        // SIGTERM (the shutdown hook) and `stop` shut down the same way, once
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable shutdown = () -> {
            if (once.compareAndSet(false, true)) shutdown(server, jllm, java.time.Duration.ofMillis((long) (shutdownSecs * 1000)));
        };
        Thread hook = new Thread(shutdown, "jllm-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stop.await();
        shutdown.run();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException exiting) {
            // the JVM is already exiting: the hook ran
        }
        return server;
    }

    /**
     * What --task, --runner and --convert ask for: TRUE embeddings, FALSE generation, null auto (decided from the
     * model). Refuses unknown values and contradictions before anything loads.
     */
    static Boolean taskFlags(Args a) {
        String task = a.get("task", "auto"), runner = a.get("runner", "auto"), convert = a.get("convert", "auto");
        if (!List.of("auto", "generate", "embed").contains(task))
            throw new IllegalArgumentException("--task must be auto, generate or embed (got '" + task + "')");
        if (!List.of("auto", "generate", "pooling").contains(runner))
            throw new IllegalArgumentException("--runner must be auto, generate or pooling (got '" + runner + "')");
        if (!List.of("auto", "none", "embed").contains(convert))
            throw new IllegalArgumentException("--convert must be auto, none or embed (got '" + convert + "')");
        boolean embed = task.equals("embed") || runner.equals("pooling") || convert.equals("embed");
        boolean generate = task.equals("generate") || runner.equals("generate");
        if (embed && generate) throw new IllegalArgumentException("--task/--runner/--convert ask for both generation and embeddings");
        return embed ? Boolean.TRUE : generate ? Boolean.FALSE : null;
    }

    /**
     * Orderly shutdown: the engine stops admission (new requests and /health get 503), running requests finish
     * within `drain` or end with a 503 error, the engine thread is joined and only then is native memory freed;
     * then the HTTP server stops (handlers have their last outputs by then), and the model and tokenizer go.
     */
    static void shutdown(OpenAiServer server, Jllm jllm, java.time.Duration drain) {
        // stderr, not java.util.logging: the JVM resets its loggers when it begins to exit
        System.err.println("jllm: shutting down: refusing new requests, letting running ones finish for up to " + drain.toSeconds() + " s");
        boolean stopped = jllm.engine().shutdown(drain, java.time.Duration.ofSeconds(30));
        server.close();
        if (!stopped) {
            System.err.println("jllm: the engine thread did not stop: leaving the model's native memory to the process exit");
            return;
        }
        jllm.close();  // the engine has stopped: frees the model and tokenizer
        System.err.println("jllm: shut down");
    }

    /**
     * Prints a conversation (../shared/chat-templates case format: messages, tools, documents,
     * add_generation_prompt, template_kwargs) rendered by a template, byte for byte; exit 1 with the template's
     * raise_exception message on stderr.
     */
    static final String RENDER_CHAT_HELP = """
            usage: jllm render-chat --chat-template T --request FILE [--bos-token S] [--eos-token S] [--date YYYY-MM-DD]

            Prints a conversation rendered by a chat template, byte for byte (exit 1 with the template's error on stderr).
              --chat-template T        a template file, a bundled template's name, or the template text itself
              --request FILE           a JSON conversation: messages, tools, documents, add_generation_prompt,
                                       template_kwargs (the ../shared/chat-templates case format)
              --bos-token S / --eos-token S   the tokenizer's special tokens (undefined in the template when not given)
              --date YYYY-MM-DD        the date strftime_now reports (default: today)
              --chat-template-timeout SECONDS, --max-prompt-chars N   the render limits, as for serve
            """;

    /** As above; out gets the rendering (or --help), err the errors; returns the exit code. */
    static int renderChat(String[] argv, PrintStream out, PrintStream err) throws IOException {
        if (Arrays.asList(argv).contains("--help") || Arrays.asList(argv).contains("-h")) {
            out.print(RENDER_CHAT_HELP);
            return 0;
        }
        Args a;
        try {
            a = new Args(argv, Set.of(), Set.of(), Set.of("chat-template", "request", "bos-token", "eos-token", "date",
                    "chat-template-timeout", "max-prompt-chars"));
        } catch (IllegalArgumentException e) {
            err.println("jllm render-chat: " + e.getMessage());
            return 2;
        }
        String t = a.get("chat-template", null), req = a.get("request", null);
        if (t == null || req == null) {
            err.println("jllm render-chat: missing " + (t == null && req == null ? "--chat-template T and --request FILE"
                    : t == null ? "--chat-template T (a template file, a bundled template's name or the template text)"
                    : "--request FILE (a JSON conversation: {\"messages\": [...], \"tools\": ..., \"add_generation_prompt\": ...})"));
            err.println("usage: jllm render-chat --chat-template T --request FILE [--bos-token S] [--eos-token S] [--date YYYY-MM-DD]"
                    + " (see jllm render-chat --help)");
            return 2;
        }
        String date = a.get("date", null);
        java.util.function.Supplier<java.time.LocalDateTime> clock = date == null ? java.time.LocalDateTime::now
                : () -> java.time.LocalDate.parse(date).atStartOfDay();
        String bundled = bundledTemplate(t);
        String source = bundled != null ? bundled : Files.isRegularFile(Path.of(t)) ? Files.readString(Path.of(t)) : t;
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode c;
        try {
            c = json.readTree(Path.of(req).toFile());
        } catch (IOException e) {
            err.println("jllm render-chat: cannot read --request " + req + ": " + e.getMessage());
            return 2;
        }
        List<java.util.Map<String, Object>> messages = json.convertValue(c.path("messages"), new com.fasterxml.jackson.core.type.TypeReference<>() {});
        java.util.Map<String, Object> kwargs = c.has("template_kwargs") && c.get("template_kwargs").isObject()
                ? json.convertValue(c.get("template_kwargs"), new com.fasterxml.jackson.core.type.TypeReference<java.util.LinkedHashMap<String, Object>>() {}) : java.util.Map.of();
        try {
            String text = new ChatTemplate(source, clock, renderLimits(a)).render(messages, json.convertValue(c.get("tools"), Object.class),
                    json.convertValue(c.get("documents"), Object.class), c.path("add_generation_prompt").asBoolean(true), kwargs,
                    a.get("bos-token", null), a.get("eos-token", null));
            out.print(text);
            out.flush();
            return 0;
        } catch (ChatTemplate.TemplateRaised e) {
            err.println(e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            err.println("jllm: " + e.getMessage());
            return 1;
        }
    }

    /** --max-connections and the --http-*-timeout flags (seconds, fractions allowed). */
    static dev.jllm.server.HttpLimits httpLimits(Args a) {
        dev.jllm.server.HttpLimits d = dev.jllm.server.HttpLimits.DEFAULTS;
        return new dev.jllm.server.HttpLimits(a.integer("max-connections", d.maxConnections()),
                seconds(a, "http-header-timeout", d.headerTimeout()), seconds(a, "http-read-timeout", d.readTimeout()),
                seconds(a, "http-idle-timeout", d.idleTimeout()), seconds(a, "http-write-timeout", d.writeTimeout()), d.streamBacklog());
    }

    private static java.time.Duration seconds(Args a, String name, java.time.Duration fallback) {
        String v = a.get(name, null);
        if (v == null) return fallback;
        try {
            return java.time.Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " takes seconds, got '" + v + "'");
        }
    }

    /** The banner's content format: the flag's, or the one detected from the template. */
    static String contentFormatLine(Args a, ChatTemplate template) {
        String flag = a.get("chat-template-content-format", "auto");
        if (!flag.equals("auto")) return flag + " (--chat-template-content-format)";
        if (template == null) return "string (no chat template)";
        return template.contentFormat() == dev.jllm.tokenizer.ContentFormat.OPENAI
                ? "openai (detected: the template loops over message content; --chat-template-content-format overrides)"
                : "string (detected; --chat-template-content-format overrides)";
    }

    /** --tool-call-parser, else the parser the chat template (for requests with tools) implies; with why. */
    static dev.jllm.server.ToolParser.Choice toolParser(Args a, ChatTemplate template) {
        return dev.jllm.server.ToolParser.resolve(a.get("tool-call-parser", null), a.flag("enable-auto-tool-choice"),
                template == null ? null : template.source());
    }

    static String rootPath(String p) {
        if (p == null || p.isBlank() || p.equals("/")) return "";
        String r = p.startsWith("/") ? p : "/" + p;
        return r.endsWith("/") ? r.substring(0, r.length() - 1) : r;
    }

    /**
     * --generation-config: "auto" reads generation_config.json beside the model (its temperature, top_p, top_k,
     * min_p, repetition_penalty and max_new_tokens become defaults for requests that leave them out), "vllm"
     * ignores it, a folder reads that folder's generation_config.json.
     */
    static dev.jllm.server.SamplingDefaults generationDefaults(String arg, Path model) throws IOException {
        if (arg.equals("vllm")) return dev.jllm.server.SamplingDefaults.NONE;
        Path dir = arg.equals("auto") ? (Files.isDirectory(model) ? model : model.getParent()) : Path.of(arg);
        Path f = dir == null ? null : dir.resolve("generation_config.json");
        if (f == null || !Files.isRegularFile(f)) {
            if (!arg.equals("auto")) throw new IllegalArgumentException("--generation-config: no generation_config.json in " + dir);
            return dev.jllm.server.SamplingDefaults.NONE;
        }
        return dev.jllm.server.SamplingDefaults.fromGenerationConfig(new ObjectMapper().readTree(f.toFile()));
    }

    private static List<String> jsonList(ObjectMapper json, String v) {
        try {
            return Arrays.asList(json.readValue(v, String[].class));
        } catch (IOException e) {
            throw new IllegalArgumentException("expected a JSON list of strings, got " + v);
        }
    }

    /** --chat-template-timeout (seconds) and --max-prompt-chars: the one render limit of every route. */
    static RenderLimits renderLimits(Args a) {
        double secs = Double.parseDouble(a.get("chat-template-timeout", "2"));
        long chars = a.bytes("max-prompt-chars", RenderLimits.DEFAULT.maxOutputChars());
        if (!(secs > 0) || chars < 1 || chars > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("--chat-template-timeout must be > 0 and --max-prompt-chars in [1, 2^31 - 9]");
        return new RenderLimits(java.time.Duration.ofNanos((long) (secs * 1e9)), (int) chars);
    }

    /** --chat-template: a bundled name, a file, or inline text; else the model's own template. */
    static ChatTemplate chatTemplate(String arg, Tokenizer tok, RenderLimits limits) throws IOException {
        if (arg == null) return tok.chatTemplate() == null ? null : new ChatTemplate(tok.chatTemplate(), limits);
        String bundled = bundledTemplate(arg);
        if (bundled != null) return new ChatTemplate(bundled, limits);
        boolean looksInline = arg.contains("{") || arg.contains("}") || arg.contains("\n");
        Path p = Path.of(looksInline ? "." : arg);
        if (!looksInline) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("--chat-template: no file or bundled template named '" + arg + "'");
            return new ChatTemplate(Files.readString(p), limits);
        }
        return new ChatTemplate(arg, limits);
    }

    static String bundledTemplate(String name) throws IOException {
        if (!name.matches("[\\w.-]+")) return null;
        try (InputStream in = Main.class.getResourceAsStream("/templates/" + name + ".jinja")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
