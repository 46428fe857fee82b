package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.api.PoolingConfig;
import dev.jllm.tokenizer.Tokenizer;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The OpenAI-compatible HTTP layer on Helidon SE: routes, auth, CORS, JSON/SSE responses and error mapping. */
public final class OpenAiServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OpenAiServer.class.getName());
    /**
     * Helidon announces its internal loopback port ("http://127.0.0.1:NNNNN bound") at INFO, which reads as the
     * address to call; the public address is the gate's. Held here: a JUL logger's level lives as long as the logger.
     */
    private static final Logger HELIDON_LISTENER = Logger.getLogger("io.helidon.webserver.ServerListener");

    static {
        if (HELIDON_LISTENER.getLevel() == null) HELIDON_LISTENER.setLevel(java.util.logging.Level.WARNING);
    }
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Request bodies: one JSON value and nothing after it (`{...}xyz` and two objects are 400, as any parse error). */
    private static final ObjectMapper BODY = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** The build's version (the root pom's revision, through jllm-version.properties). */
    public static final String VERSION = version();

    private static String version() {
        try (java.io.InputStream in = OpenAiServer.class.getResourceAsStream("/jllm-version.properties")) {
            java.util.Properties p = new java.util.Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /**
     * Network options (vLLM's names). metricsWithoutAuth: /metrics needs no API key (--disable-metrics-auth, for
     * Prometheus scrapers); every other route but /health does when keys are set.
     */
    public record Options(String host, int port, List<String> allowedOrigins, List<String> allowedMethods,
                          List<String> allowedHeaders, boolean allowCredentials, long maxBodyBytes,
                          java.nio.file.Path sslKeyFile, java.nio.file.Path sslCertFile, HttpLimits limits,
                          boolean metricsWithoutAuth) {
        public Options(String host, int port, List<String> allowedOrigins, List<String> allowedMethods, List<String> allowedHeaders,
                       boolean allowCredentials, long maxBodyBytes, java.nio.file.Path sslKeyFile, java.nio.file.Path sslCertFile) {
            this(host, port, allowedOrigins, allowedMethods, allowedHeaders, allowCredentials, maxBodyBytes, sslKeyFile, sslCertFile,
                    HttpLimits.DEFAULTS, false);
        }

        public boolean tls() {
            return sslKeyFile != null;
        }
    }

    private final ServerContext ctx;
    private final Options opts;
    private final CompletionsHandler completions;
    private final ChatHandler chat;
    private final EmbeddingsHandler embeddings;
    private final PoolingConfig pooling;  // null: a generative model
    private ResponsesApiHandler responses;
    private final MessagesHandler messages;
    private final int numBlocks, blockSize;
    private WebServer server;
    private HttpGate gate;

    public OpenAiServer(ServerContext ctx, Options opts, int numBlocks, int blockSize) {
        this(ctx, opts, numBlocks, blockSize, null);
    }

    /** pooling non-null: serve an embedding model (/v1/embeddings; completions and chat answer 400). */
    public OpenAiServer(ServerContext ctx, Options opts, int numBlocks, int blockSize, PoolingConfig pooling) {
        this.ctx = ctx;
        this.opts = opts;
        this.pooling = pooling;
        this.embeddings = new EmbeddingsHandler(ctx, pooling);
        this.completions = new CompletionsHandler(ctx);
        this.chat = new ChatHandler(ctx);
        this.responses = new ResponsesApiHandler(ctx, chat, new ResponseStore(ResponseStore.DEFAULT_CAPACITY));
        this.messages = new MessagesHandler(ctx, chat);
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
    }

    /** How many finished Responses API responses are kept for GET and previous_response_id (--responses-store-size). */
    public OpenAiServer responsesStoreSize(int capacity) {
        if (server != null) throw new IllegalStateException("set the responses store size before start()");
        responses = new ResponsesApiHandler(ctx, chat, new ResponseStore(capacity));
        return this;
    }

    /**
     * Binds and starts; throws IllegalStateException with a clear message when the port is taken. Helidon listens on
     * a loopback port; clients reach it only through the HttpGate on the public address (see HttpGate for why).
     */
    public OpenAiServer start() {
        java.net.ServerSocket listener;
        try {
            listener = opts.tls() ? tls(opts.sslKeyFile(), opts.sslCertFile()).sslContext().getServerSocketFactory().createServerSocket()
                    : new java.net.ServerSocket();
            listener.setReuseAddress(true);
            listener.bind(new java.net.InetSocketAddress(opts.host(), opts.port()), 1024);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + opts.host() + ":" + opts.port() + ": " + e.getMessage()
                    + " (is another server running? pass --port)");
        }
        try {
            server = WebServer.builder().host("127.0.0.1").port(0).shutdownHook(false).routing(this::routes)
                    .connectionOptions(io.helidon.common.socket.SocketOptions.builder().socketSendBufferSize(32 * 1024).build())
                    .build().start();
        } catch (RuntimeException e) {
            try {
                listener.close();
            } catch (IOException ignored) {
                // failing anyway
            }
            throw e;
        }
        gate = new HttpGate(listener, server.port(), opts.limits(), opts.maxBodyBytes());
        return this;
    }

    /** TLS from PEM files (--ssl-keyfile, --ssl-certfile); a bad file fails start-up with its path. */
    static io.helidon.common.tls.Tls tls(java.nio.file.Path key, java.nio.file.Path cert) {
        for (java.nio.file.Path p : List.of(key, cert))
            if (!java.nio.file.Files.isReadable(p)) throw new IllegalStateException("cannot read TLS file " + p);
        try {
            io.helidon.common.pki.Keys keys = io.helidon.common.pki.Keys.builder()
                    .pem(pem -> pem.key(io.helidon.common.configurable.Resource.create(key))
                            .certChain(io.helidon.common.configurable.Resource.create(cert)))
                    .build();
            return io.helidon.common.tls.Tls.builder().privateKey(keys.privateKey().orElseThrow(() ->
                            new IllegalStateException("no private key in " + key)))
                    .privateKeyCertChain(keys.certChain()).build();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot load TLS key " + key + " / certificate " + cert + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return gate.port();
    }

    @Override
    public void close() {
        // Handlers still writing (a stream whose request the engine just finished) end first: closing the gate cuts
        // its connections, and a client would read a body without its last chunk. Bounded: the engine has stopped, so
        // a handler only writes out what it has.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (gate != null) gate.close(FORWARD_GRACE_MS);
        if (server != null) server.stop();
    }

    /** After the last handler returns, the gate still forwards its final bytes to the client. */
    private static final long FORWARD_GRACE_MS = 200;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    private interface Handler {
        void handle(ServerRequest req, ServerResponse res) throws Exception;
    }

    private void routes(HttpRouting.Builder r) {
        r.addFilter((chain, req, res) -> {
            cors(req, res);
            if (req.prologue().method() == Method.OPTIONS) {
                res.status(Status.NO_CONTENT_204).send();
                return;
            }
            String path = req.path().path();
            if (!ctx.rootPath().isEmpty() && path.startsWith(ctx.rootPath() + "/")) path = path.substring(ctx.rootPath().length());
            boolean open = path.equals("/health") || (path.equals("/metrics") && opts.metricsWithoutAuth());
            boolean anthropic = anthropicPath(req.path().path());
            if (!ctx.apiKeys().isEmpty() && !open && !authorized(req)) {
                error(res, new ApiException(401, "AuthenticationError",
                        "Unauthorized: a valid API key is required (Authorization: Bearer <key>, or x-api-key: <key>).", null), anthropic);
                return;
            }
            long len = req.headers().contentLength().orElse(-1L);
            if (len > opts.maxBodyBytes()) {
                res.header(HeaderNames.CONNECTION, "close");
                error(res, new ApiException(413, "RequestTooLargeError", "The request body has " + len + " bytes; the limit is " + opts.maxBodyBytes() + ".", null), anthropic);
                return;
            }
            inFlight.incrementAndGet();
            try {
                chain.proceed();
            } finally {
                inFlight.decrementAndGet();
            }
        });
        register(r, "");
        if (!ctx.rootPath().isEmpty()) register(r, ctx.rootPath());  // --root-path: the same routes under a prefix
        io.helidon.webserver.http.Handler openAi = wrap(OpenAiServer::noRoute), anthropic = wrap(OpenAiServer::noRoute, true);
        r.any((req, res) -> (anthropicPath(req.path().path()) ? anthropic : openAi).handle(req, res));
    }

    private static void noRoute(ServerRequest req, ServerResponse res) {
        throw ApiException.notFound("No route " + req.prologue().method().text() + " " + req.path().path() + ".");
    }

    /** Anthropic's API (/v1/messages...), whose errors take Anthropic's shape; under --root-path too. */
    private boolean anthropicPath(String path) {
        if (!ctx.rootPath().isEmpty() && path.startsWith(ctx.rootPath() + "/")) path = path.substring(ctx.rootPath().length());
        return path.startsWith("/v1/messages");
    }

    private static final HeaderName X_API_KEY = HeaderNames.create("x-api-key");

    /** An API key as "Authorization: Bearer KEY" (the scheme case-insensitive, RFC 7235 section 2.1) or, as Anthropic's
     *  clients send it, "x-api-key: KEY". */
    private boolean authorized(ServerRequest req) {
        String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
        if (auth.regionMatches(true, 0, "Bearer ", 0, 7) && ctx.apiKeys().contains(auth.substring(7).trim())) return true;
        return req.headers().first(X_API_KEY).map(k -> ctx.apiKeys().contains(k.trim())).orElse(false);
    }

    /** Every route, under prefix p ("" or --root-path). */
    private void register(HttpRouting.Builder r, String p) {
        r.get(p + "/health", wrap((req, res) -> {
            String why = ctx.engine().unhealthy();  // shutting down, or the engine watchdog fired
            if (why != null) throw new ApiException(503, "ServiceUnavailableError", "Unhealthy: " + why + ".", null);
            res.status(Status.OK_200).send();
        }));
        r.get(p + "/version", wrap((req, res) -> json(res, 200, JSON.createObjectNode().put("version", VERSION))));
        r.get(p + "/v1/models", wrap((req, res) -> json(res, 200, models())));
        r.get(p + "/v1/models/{+id}", wrap((req, res) -> {  // the rest of the path: HF-style ids hold '/' (or %2F)
            String id = req.path().pathParameters().get("id");
            if (!ctx.servedNames().contains(id)) throw ApiException.notFound("The model `" + id + "` does not exist.");
            json(res, 200, card(id));
        }));
        r.post(p + "/v1/completions", wrap((req, res) -> {
            generative("/v1/completions");
            completions.handle(body(req), out(req, res));
        }));
        r.post(p + "/v1/chat/completions", wrap((req, res) -> {
            generative("/v1/chat/completions");
            chat.handle(body(req), out(req, res));
        }));
        r.post(p + "/v1/embeddings", wrap((req, res) -> json(res, 200, embeddings.handle(body(req)))));
        r.post(p + "/v1/messages", wrap((req, res) -> {
            generative("/v1/messages");
            messages.handle(body(req), out(req, res));
        }, true));
        r.post(p + "/v1/responses", wrap((req, res) -> {
            generative("/v1/responses");
            responses.create(body(req), out(req, res));
        }));
        r.get(p + "/v1/responses/{id}", wrap((req, res) -> {
            if (req.query().contains("stream")) throw ApiException.badRequest("GET /v1/responses/{id} with 'stream' is not supported: responses are stored finished.", "stream");
            json(res, 200, responses.get(req.path().pathParameters().get("id")));
        }));
        r.delete(p + "/v1/responses/{id}", wrap((req, res) -> json(res, 200, responses.delete(req.path().pathParameters().get("id")))));
        r.post(p + "/v1/responses/{id}/cancel", wrap((req, res) -> json(res, 200, responses.cancel(req.path().pathParameters().get("id")))));
        r.post(p + "/v1/messages/count_tokens", wrap((req, res) -> json(res, 200, messages.countTokens(body(req))), true));
        for (String route : List.of("/v1/messages", "/v1/messages/count_tokens"))
            r.any(p + route, wrap((req, res) -> {
                throw new ApiException(405, "MethodNotAllowedError", "Method " + req.prologue().method().text() + " is not allowed on " + route + ".", null);
            }, true));
        r.post(p + "/tokenize", wrap((req, res) -> json(res, 200, tokenize(body(req)))));
        r.post(p + "/detokenize", wrap((req, res) -> json(res, 200, detokenize(body(req)))));
        r.get(p + "/metrics", wrap((req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            res.send(Metrics.render(ctx.engine().stats(), ctx.servedNames().get(0), numBlocks, blockSize));
        }));
        for (String route : List.of("/v1/completions", "/v1/chat/completions", "/v1/embeddings", "/v1/responses", "/v1/responses/{id}", "/v1/responses/{id}/cancel", "/tokenize", "/detokenize", "/v1/models", "/health", "/version", "/metrics"))
            r.any(p + route, wrap((req, res) -> {
                throw new ApiException(405, "MethodNotAllowedError", "Method " + req.prologue().method().text() + " is not allowed on " + route + ".", null);
            }));
    }

    /** Refuses a generation route while an embedding model is served (vLLM's pooling runner does the same). */
    private void generative(String route) {
        if (pooling != null)
            throw ApiException.badRequest("The model `" + ctx.servedNames().get(0) + "` is an embedding model (task embed); "
                    + route + " is not supported for it. Use /v1/embeddings.", "model");
    }

    /** The methods register() routes (DELETE: /v1/responses/{id}): what "*" in --allowed-methods allows. */
    private static final List<String> ROUTED_METHODS = List.of("GET", "POST", "DELETE", "OPTIONS");

    private void cors(ServerRequest req, ServerResponse res) {
        String origin = req.headers().first(HeaderNames.ORIGIN).orElse(null);
        if (origin == null) return;
        boolean any = opts.allowedOrigins().contains("*");
        if (!any && !opts.allowedOrigins().contains(origin)) return;
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, any && !opts.allowCredentials() ? "*" : origin);
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, String.join(", ", opts.allowedMethods().contains("*")
                ? ROUTED_METHODS : opts.allowedMethods()));
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, opts.allowedHeaders().contains("*")
                ? req.headers().first(HeaderNames.ACCESS_CONTROL_REQUEST_HEADERS).orElse("*") : String.join(", ", opts.allowedHeaders()));
        if (opts.allowCredentials()) res.header(HeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }

    private io.helidon.webserver.http.Handler wrap(Handler h) {
        return wrap(h, false);
    }

    /** A route's handler with jllm's error mapping; anthropic: errors in Anthropic's shape (the /v1/messages routes). */
    private io.helidon.webserver.http.Handler wrap(Handler h, boolean anthropic) {
        return (req, res) -> {
            try {
                h.handle(req, res);
            } catch (ApiException e) {
                logRejected(req, e);
                if (!res.isSent()) error(res, e, anthropic);
            } catch (IOException | UncheckedIOException | io.helidon.webserver.ServerConnectionException e) {
                LOG.fine("client went away: " + LogText.escape(e.getMessage(), 200));  // its engine requests were aborted by the handler
                endForGoneClient(res);
            } catch (Exception | StackOverflowError e) {  // a bug, or input nested past the stack: one request's 500
                String rid = UUID.randomUUID().toString();
                LOG.log(Level.SEVERE, "request " + rid + " failed", e);
                if (!res.isSent()) error(res, new ApiException(500, "InternalServerError", "Internal server error (request id " + rid + ").", null), anthropic);
            }
        };
    }

    /**
     * A response for a client that went away before its answer: Helidon's routing requires one (else a WARNING "A route
     * MUST call either send..." and a 500 per disconnect). Nobody reads it: 499, nginx's "client closed request".
     * A streamed response has begun already and is left as it is.
     */
    private static void endForGoneClient(ServerResponse res) {
        if (res.isSent()) return;
        try {
            res.status(Status.create(499, "Client Closed Request"));
            res.send();
        } catch (RuntimeException alreadyStreaming) {
            // the response was streaming (or its connection is gone): nothing more to end
        }
    }

    /** Reads the JSON body, at most maxBodyBytes (a chunked body has no Content-Length for the filter to check). */
    private JsonNode body(ServerRequest req) throws IOException {
        byte[] bytes;
        try (InputStream in = req.content().inputStream()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, opts.maxBodyBytes() + 1));
        }
        if (bytes.length > opts.maxBodyBytes())
            throw new ApiException(413, "RequestTooLargeError", "The request body exceeds the limit of " + opts.maxBodyBytes() + " bytes.", null);
        if (bytes.length == 0) throw ApiException.badRequest("The request body is empty; send a JSON object.");
        try {
            return BODY.readTree(bytes);
        } catch (IOException e) {
            throw ApiException.badRequest("The request body is not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
    }

    static final LogText.Limiter REJECTION_LOG = new LogText.Limiter(20);

    /** One INFO line per rejected request (at most 20 a second; the rest counted): method, path, status, reason. */
    private static void logRejected(ServerRequest req, ApiException e) {
        long dropped = REJECTION_LOG.admit();
        if (dropped < 0) return;
        LOG.info("rejected " + req.prologue().method().text() + " " + LogText.escape(req.path().path(), 200) + " " + e.status() + ": "
                + LogText.escape(e.getMessage(), 300) + (dropped > 0 ? " (" + dropped + " more rejections not logged)" : ""));
    }

    static void error(ServerResponse res, ApiException e, boolean anthropic) {
        if (!anthropic) {
            error(res, e);
            return;
        }
        if (e.retryAfterSeconds() > 0) res.header(HeaderNames.RETRY_AFTER, String.valueOf(e.retryAfterSeconds()));
        json(res, e.status(), AnthropicEvents.error(e.status(), e.getMessage()));
    }

    static void error(ServerResponse res, ApiException e) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode err = body.putObject("error");
        err.put("message", e.getMessage()).put("type", e.type());
        if (e.param() == null) err.putNull("param");
        else err.put("param", e.param());
        err.put("code", String.valueOf(e.status()));  // OpenAI's schema: a string (or null)
        if (e.retryAfterSeconds() > 0) res.header(HeaderNames.RETRY_AFTER, String.valueOf(e.retryAfterSeconds()));
        json(res, e.status(), body);
    }

    static void json(ServerResponse res, int status, JsonNode body) {
        try {
            res.status(Status.create(status));
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final HeaderName X_ACCEL = HeaderNames.create("X-Accel-Buffering");

    /** Adapts a Helidon response; SSE frames are written by hand so any Accept header works. */
    private HttpOut out(ServerRequest req, ServerResponse res) {
        HttpGate.Exchange ex = gate.exchange(req.headers().first(HeaderNames.create(HttpGate.EXCHANGE_HEADER)).orElse(null));
        int backlog = opts.limits().streamBacklog();
        return new HttpOut() {
            @Override
            public void watch(Generation gen) {
                gen.limitBacklog(backlog);
                if (ex != null) ex.onGone(gen::cancel);
            }

            @Override
            public void json(int status, JsonNode body) {
                OpenAiServer.json(res, status, body);
            }

            @Override
            public Sse sse() {
                res.status(Status.OK_200);
                res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
                res.header(HeaderNames.CACHE_CONTROL, "no-cache");
                res.header(X_ACCEL, "no");
                OutputStream os = res.outputStream();
                return new Sse() {
                    @Override
                    public void event(String data) throws IOException {
                        os.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
                        os.flush();
                    }

                    @Override
                    public void event(String name, String data) throws IOException {
                        os.write(("event: " + name + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
                        os.flush();
                    }

                    @Override
                    public void close() throws IOException {
                        os.close();
                    }
                };
            }
        };
    }

    private ObjectNode card(String name) {
        ObjectNode c = JSON.createObjectNode();
        c.put("id", name).put("object", "model").put("created", ctx.startedAt()).put("owned_by", "jllm")
                .put("root", ctx.servedNames().get(0)).putNull("parent").put("max_model_len", ctx.maxModelLen());
        ObjectNode perm = c.putArray("permission").addObject();
        perm.put("id", "modelperm-" + UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString().replace("-", ""))
                .put("object", "model_permission").put("created", ctx.startedAt()).put("allow_create_engine", false)
                .put("allow_sampling", true).put("allow_logprobs", true).put("allow_search_indices", false)
                .put("allow_view", true).put("allow_fine_tuning", false).put("organization", "*").putNull("group")
                .put("is_blocking", false);
        return c;
    }

    private ObjectNode models() {
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (String name : ctx.servedNames()) data.add(card(name));
        return list;
    }

    private ObjectNode tokenize(JsonNode body) {
        Fields f = new Fields(body);
        ctx.resolveModel(f.string("model", null));
        Tokenizer tok = ctx.tokenizer();
        int[] ids;
        if (f.has("messages")) {
            ids = chat.render(f).ids();
        } else {
            String prompt = f.string("prompt", null);
            if (prompt == null) throw ApiException.badRequest("'prompt' (or 'messages') is required.", "prompt");
            ctx.prompts().checkLength(prompt.length(), ctx.maxModelLen(), "prompt", "prompt");
            ids = tok.encode(prompt, f.bool("add_special_tokens", true), false);
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode t = out.putArray("tokens");
        for (int id : ids) t.add(id);
        out.put("count", ids.length).put("max_model_len", ctx.maxModelLen());
        return out;
    }

    private ObjectNode detokenize(JsonNode body) {
        Fields f = new Fields(body);
        ctx.resolveModel(f.string("model", null));
        List<Integer> ids = f.intList("tokens");
        if (!f.has("tokens")) throw ApiException.badRequest("'tokens' is required.", "tokens");
        int[] arr = ids.stream().mapToInt(Integer::intValue).toArray();
        for (int id : arr)
            if (id < 0 || id >= ctx.tokenizer().vocabSize()) throw ApiException.badRequest("Token id " + id + " is outside the vocabulary.", "tokens");
        return JSON.createObjectNode().put("prompt", ctx.tokenizer().decode(arr, 0, arr.length, false));
    }
}
