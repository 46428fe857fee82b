package dev.jllm.stress;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * `jllm stress`: the adversarial suite. Each scenario starts its own `jllm serve` child process on stories260K,
 * hurts it (malformed corpus, abort storm, KV exhaustion, overload, slow clients), prints figures, and records
 * every broken invariant. `--quick` is the bounded part that `jllm test` runs; the exit code is the number of
 * broken invariants (0 = clean).
 */
public final class Stress {
    /** Sizes of one run. */
    record Sizes(int stormRequests, int stormConcurrency, int overloadClients, int slowloris, int neverRead, int idle) {
        static final Sizes FULL = new Sizes(2000, 48, 200, 100, 20, 500);
        static final Sizes QUICK = new Sizes(240, 24, 60, 30, 8, 100);
    }

    final Path model;
    final Sizes sizes;
    final int basePort;
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    final Map<String, String> figures = Collections.synchronizedMap(new java.util.LinkedHashMap<>());
    final java.util.Set<String> only = new java.util.HashSet<>();

    Stress(Path model, Sizes sizes, int basePort) {
        this.model = model;
        this.sizes = sizes;
        this.basePort = basePort;
    }

    public static void main(String[] argv) throws Exception {
        boolean quick = List.of(argv).contains("--quick");
        String shared = System.getProperty("jllm.shared.dir", "../shared");
        Path model = Path.of(shared, "models", "stories260K-hf");
        int port = Integer.getInteger("jllm.stress.port", 0);  // 0: each server on a free port
        Stress s = new Stress(model, quick ? Sizes.QUICK : Sizes.FULL, port);
        for (String a : argv) if (!a.startsWith("--")) s.only.add(a);
        List<String> failed = s.runAll();
        System.exit(Math.min(failed.size(), 100));
    }

    /** The bounded run that `jllm test` makes (StressTest). */
    public static List<String> quick(Path model) throws Exception {
        return new Stress(model, Sizes.QUICK, 0).runAll();
    }

    /** Runs every scenario; returns the broken invariants (empty = clean). */
    public List<String> runAll() throws Exception {
        scenario("corpus", this::corpus);
        scenario("abort storm", this::abortStorm);
        scenario("KV exhaustion", this::kvExhaustion);
        scenario("overload", this::overload);
        scenario("slow clients", this::slowClients);
        System.out.println("\n== figures");
        figures.forEach((k, v) -> System.out.printf("  %-34s %s%n", k, v));
        System.out.println(failures.isEmpty() ? "\nstress: clean" : "\nstress: " + failures.size() + " broken invariant(s):");
        for (String f : failures) System.out.println("  FAIL " + f);
        return failures;
    }

    interface Scenario {
        void run() throws Exception;
    }

    private void scenario(String name, Scenario s) {
        if (!only.isEmpty() && !only.contains(name.split(" ")[0].toLowerCase())) return;
        System.out.println("\n== " + name);
        long t0 = System.nanoTime();
        try {
            s.run();
        } catch (Exception e) {
            fail(name + ": " + e);
        }
        System.out.printf("   (%.1f s)%n", (System.nanoTime() - t0) / 1e9);
    }

    /** The port of the i-th scenario's server: basePort + i, or 0 (a free one) when basePort is 0. */
    int port(int i) {
        return basePort == 0 ? 0 : basePort + i;
    }

    void check(boolean ok, String what) {
        if (!ok) fail(what);
    }

    void fail(String what) {
        failures.add(what);
        System.out.println("   FAIL " + what);
    }

    void figure(String name, String value) {
        figures.put(name, value);
        System.out.printf("   %-34s %s%n", name, value);
    }

    // ---- 1. the malformed-input corpus -----------------------------------------------------------------------

    void corpus() throws Exception {
        try (StressServer srv = StressServer.start(model, port(0), List.of("--max-num-seqs", "16"))) {
            String before = srv.greedy("Once upon a time");
            List<Corpus.Case> cases = Corpus.build(StressServer.KEY);
            Map<String, Integer> classes = new TreeMap<>();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> fs = new ArrayList<>();
            for (Corpus.Case c : cases)
                fs.add(pool.submit(() -> {
                    RawHttp.Reply r = RawHttp.exchange(srv.port, c.request(), 20_000);
                    String cls = r.status() < 0 ? (r.status() == -2 ? "no answer (timeout)" : "closed") : (r.status() / 100) + "xx";
                    classes.merge(cls, 1, Integer::sum);
                    String bad = judge(c.expect(), r);
                    if (bad != null) fail("corpus '" + c.name() + "': " + bad + " — got " + r.status() + " " + Corpus.abbreviate(r.text()));
                }));
            for (Future<?> f : fs) f.get();
            pool.shutdown();
            figure("corpus cases", cases.size() + " " + classes);
            check(srv.healthStatus() == 200, "corpus: /health is not 200 after the corpus");
            check(before.equals(srv.greedy("Once upon a time")), "corpus: greedy output changed after the corpus");
            check(srv.process.isAlive(), "corpus: the server died");
        }
    }

    static String judge(Corpus.Expect e, RawHttp.Reply r) {
        int s = r.status();
        if (s == -2) return "no answer within 20 s (hang)";
        if (s >= 500 && !(e == Corpus.Expect.FRAMING && s == 501)) return "5xx";  // 501: an unknown transfer coding (RFC 9112)
        return switch (e) {
            case OK -> s / 100 == 2 ? null : "expected 2xx";
            case ERROR -> s / 100 != 4 ? "expected 4xx" : r.openAiError() ? null : "4xx without OpenAI's error shape";
            case EITHER -> s / 100 == 2 || (s / 100 == 4 && r.openAiError()) ? null : "expected 2xx or a shaped 4xx";
            case FRAMING -> s == -1 || s / 100 == 4 || s == 501 ? null : "expected 4xx (501 for an unknown transfer coding) or a closed connection";
        };
    }

    // ---- 2. abort storm ----------------------------------------------------------------------------------------

    static final String[] STORM_BODIES = {
        "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":64}",
        "{\"model\":\"stories\",\"prompt\":\"The little dog\",\"max_tokens\":96,\"stream\":true}",
        "{\"model\":\"stories\",\"prompt\":\"Lily and Ben\",\"max_tokens\":48,\"n\":3,\"temperature\":0.9}",
        "{\"model\":\"stories\",\"prompt\":\"One day\",\"max_tokens\":32,\"best_of\":3,\"n\":1,\"temperature\":1.0}",
        "{\"model\":\"stories\",\"prompt\":\"The sun\",\"max_tokens\":24,\"use_beam_search\":true,\"n\":2,\"temperature\":0}",
        "{\"model\":\"stories\",\"prompt\":\"Tom had a ball\",\"max_tokens\":48,\"logprobs\":5,\"echo\":true}",
        "{\"model\":\"stories\",\"prompt\":\"A cat\",\"max_tokens\":64,\"stream\":true,\"n\":2,\"logprobs\":3,\"stream_options\":{\"include_usage\":true}}",
    };

    void abortStorm() throws Exception {
        try (StressServer srv = StressServer.start(model, port(1), List.of("--max-num-seqs", "32"))) {
            long rss0 = srv.rssKiB();
            Random rnd = new Random(42);
            Map<String, Integer> outcome = new ConcurrentHashMap<>();
            ExecutorService pool = Executors.newFixedThreadPool(sizes.stormConcurrency());
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < sizes.stormRequests(); i++) {
                String body = STORM_BODIES[rnd.nextInt(STORM_BODIES.length)];
                boolean chat = rnd.nextInt(5) == 0;
                String path = chat ? "/v1/chat/completions" : "/v1/completions";
                if (chat) body = body.replaceFirst("\"prompt\":(\"[^\"]*\")", "\"messages\":[{\"role\":\"user\",\"content\":$1}]")
                        .replace(",\"echo\":true", "").replace("\"logprobs\":5", "\"logprobs\":true,\"top_logprobs\":5")
                        .replace("\"logprobs\":3", "\"logprobs\":true,\"top_logprobs\":3");
                int disconnectAfterMs = rnd.nextInt(100) < 40 ? rnd.nextInt(600) : -1;
                byte[] req = RawHttp.post(path, StressServer.KEY, body);
                fs.add(pool.submit(() -> outcome.merge(stormOne(srv.port, req, disconnectAfterMs), 1, Integer::sum)));
            }
            for (Future<?> f : fs) f.get();
            pool.shutdown();
            figure("abort storm", sizes.stormRequests() + " requests " + new TreeMap<>(outcome));
            for (String k : outcome.keySet())
                check(k.equals("disconnected") || k.equals("200") || k.equals("429"), "abort storm: outcome " + k + " x" + outcome.get(k));
            settled(srv, "abort storm");
            figure("abort storm RSS (MiB)", rss0 / 1024 + " → " + srv.rssKiB() / 1024);
        }
    }

    /** One storm request: reads the whole reply, or closes the socket after `disconnectAfterMs`. */
    static String stormOne(int port, byte[] req, int disconnectAfterMs) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(req);
            s.getOutputStream().flush();
            if (disconnectAfterMs >= 0) {
                Thread.sleep(disconnectAfterMs);
                s.setSoLinger(true, 0);  // RST: the rudest disconnect
                return "disconnected";
            }
            s.setSoTimeout(120_000);
            RawHttp.Reply r = RawHttp.read(s.getInputStream(), System.nanoTime(), 120_000);
            return r.status() == -2 ? "hang" : r.status() == -1 ? "closed without reply" : String.valueOf(r.status());
        } catch (IOException e) {
            return "io error: " + e.getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** After a scenario: the engine drains to zero running, zero waiting, zero KV blocks in use (within 60 s). */
    void settled(StressServer srv, String scenario) throws Exception {
        double running = -1, waiting = -1, kv = -1;
        for (int i = 0; i < 300; i++) {
            running = srv.metric("vllm:num_requests_running");
            waiting = srv.metric("vllm:num_requests_waiting");
            kv = srv.metric("vllm:kv_cache_usage_perc");
            if (running == 0 && waiting == 0 && kv == 0) break;
            Thread.sleep(200);
        }
        figure(scenario + " after", "running " + running + ", waiting " + waiting + ", kv usage " + kv);
        check(running == 0 && waiting == 0 && kv == 0, scenario + ": did not settle to zero running/waiting/KV: running "
                + running + ", waiting " + waiting + ", kv " + kv);
        check(srv.healthStatus() == 200, scenario + ": /health is not 200 afterwards");
        check(srv.process.isAlive(), scenario + ": the server died");
    }

    // ---- 3. KV exhaustion ----------------------------------------------------------------------------------------

    void kvExhaustion() throws Exception {
        // 48 blocks × 16 tokens = 768 tokens of cache; 16 requests of ~330 tokens each need ~7x that: preemption.
        try (StressServer srv = StressServer.start(model, port(2), List.of("--num-gpu-blocks-override", "48", "--max-num-seqs", "16"))) {
            int n = 16, maxTokens = 300;
            ExecutorService pool = Executors.newFixedThreadPool(n);
            List<Future<RawHttp.Reply>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String body = "{\"model\":\"stories\",\"prompt\":\"" + ("Once upon a time there was a girl " + i + ". ").repeat(3)
                        + "\",\"max_tokens\":" + maxTokens + ",\"ignore_eos\":true,\"temperature\":0}";
                fs.add(pool.submit(() -> RawHttp.exchange(srv.port, RawHttp.post("/v1/completions", StressServer.KEY, body), 300_000)));
            }
            int ok = 0;
            for (Future<RawHttp.Reply> f : fs) {
                RawHttp.Reply r = f.get();
                boolean full = r.status() == 200 && r.json() != null && r.json().path("usage").path("completion_tokens").asInt() == maxTokens;
                if (full) ok++;
                else fail("KV exhaustion: a request did not finish with " + maxTokens + " tokens: " + r.status() + " " + Corpus.abbreviate(r.text()));
            }
            pool.shutdown();
            double preempted = srv.metric("vllm:num_preemptions_total");
            figure("KV exhaustion", ok + "/" + n + " finished in full, " + (long) preempted + " preemptions");
            check(preempted > 0, "KV exhaustion: no preemption happened (the scenario did not exhaust the cache)");
            settled(srv, "KV exhaustion");
        }
    }

    // ---- 4. overload -----------------------------------------------------------------------------------------------

    void overload() throws Exception {
        try (StressServer srv = StressServer.start(model, port(3), List.of("--max-num-seqs", "4", "--max-waiting-requests", "8"))) {
            long rss0 = srv.rssKiB();
            int n = sizes.overloadClients();
            ExecutorService pool = Executors.newFixedThreadPool(n);
            List<Future<RawHttp.Reply>> fs = new ArrayList<>();
            String body = "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":128,\"ignore_eos\":true}";
            for (int i = 0; i < n; i++)
                fs.add(pool.submit(() -> RawHttp.exchange(srv.port, RawHttp.post("/v1/completions", StressServer.KEY, body), 300_000)));
            AtomicInteger maxWaiting = new AtomicInteger();
            while (fs.stream().anyMatch(f -> !f.isDone())) {
                maxWaiting.accumulateAndGet((int) srv.metric("vllm:num_requests_waiting"), Math::max);
                Thread.sleep(50);
            }
            pool.shutdown();
            int ok = 0, rejected = 0;
            List<Long> rejectMs = new ArrayList<>();
            for (Future<RawHttp.Reply> f : fs) {
                RawHttp.Reply r = f.get();
                if (r.status() == 200) ok++;
                else if (r.status() == 429) {
                    rejected++;
                    rejectMs.add(r.millis());
                    check(r.openAiError(), "overload: a 429 without OpenAI's error shape");
                    check(r.header("Retry-After") != null, "overload: a 429 without Retry-After");
                } else fail("overload: status " + r.status() + " " + Corpus.abbreviate(r.text()));
            }
            Collections.sort(rejectMs);
            figure("overload", n + " clients on max_num_seqs 4: " + ok + " served, " + rejected + " rejected (429), max waiting seen " + maxWaiting);
            if (!rejectMs.isEmpty())
                figure("overload 429 latency (ms)", "p50 " + rejectMs.get(rejectMs.size() / 2) + ", max " + rejectMs.get(rejectMs.size() - 1));
            check(rejected > 0, "overload: no request was rejected with 429 (the waiting queue is unbounded)");
            check(maxWaiting.get() <= 8, "overload: " + maxWaiting + " requests waited, over --max-waiting-requests 8");
            settled(srv, "overload");
            figure("overload RSS (MiB)", rss0 / 1024 + " → " + srv.rssKiB() / 1024);
        }
    }

    // ---- 5. slow clients --------------------------------------------------------------------------------------------

    void slowClients() throws Exception {
        try (StressServer srv = StressServer.start(model, port(4), List.of("--max-num-seqs", "16"))) {
            List<Socket> held = new ArrayList<>();
            try {
                // a. idle keep-alive connections: one request answered, then silence
                for (int i = 0; i < sizes.idle(); i++) {
                    Socket s = new Socket("127.0.0.1", srv.port);
                    held.add(s);
                    s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                }
                // b. slowloris: the start of a request, never finished
                List<Socket> loris = new ArrayList<>();
                for (int i = 0; i < sizes.slowloris(); i++) {
                    Socket s = new Socket("127.0.0.1", srv.port);
                    held.add(s);
                    loris.add(s);
                    s.getOutputStream().write("POST /v1/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
                }
                // c. streams that are never read, with a tiny receive window
                for (int i = 0; i < sizes.neverRead(); i++) {
                    Socket s = new Socket();
                    s.setReceiveBufferSize(1024);
                    s.connect(new java.net.InetSocketAddress("127.0.0.1", srv.port));
                    held.add(s);
                    s.getOutputStream().write(RawHttp.post("/v1/completions", StressServer.KEY,
                            "{\"model\":\"stories\",\"prompt\":\"Once\",\"max_tokens\":400,\"ignore_eos\":true,\"stream\":true,\"n\":4,\"logprobs\":5}"));
                }
                // keep the slowloris clients dribbling while honest clients are served
                Thread dribble = Thread.ofVirtual().start(() -> {
                    for (int k = 0; k < 20 && !Thread.currentThread().isInterrupted(); k++) {
                        for (Socket s : loris) {
                            try {
                                OutputStream o = s.getOutputStream();
                                o.write('a');
                                o.flush();
                            } catch (IOException ignored) {
                                // closed by the server: what we want
                            }
                        }
                        try {
                            Thread.sleep(500);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                int served = 0;
                long worst = 0;
                for (int i = 0; i < 10; i++) {
                    RawHttp.Reply r = RawHttp.exchange(srv.port, RawHttp.post("/v1/completions", StressServer.KEY,
                            "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":16,\"temperature\":0}"), 60_000);
                    if (r.status() == 200) served++;
                    else fail("slow clients: an honest request got " + r.status() + " " + Corpus.abbreviate(r.text()));
                    worst = Math.max(worst, r.millis());
                }
                dribble.interrupt();
                figure("slow clients", sizes.idle() + " idle + " + sizes.slowloris() + " slowloris + " + sizes.neverRead()
                        + " never-read streams: honest requests served " + served + "/10, slowest " + worst + " ms");
            } finally {
                for (Socket s : held) s.close();
            }
            settled(srv, "slow clients");
        }
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
