package dev.jllm.engine;

import dev.jllm.tokenizer.Tokenizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The step loop. One platform thread owns the scheduler, the block manager and every sequence; other threads
 * only submit and abort requests (through a queue) and read their {@link RequestStream}s. Each step: drain
 * commands → schedule → (block copies) → ONE native step (forward + sample) → append tokens, detokenize, check
 * stops → publish deltas. With nothing runnable the loop blocks on the command queue (it never spins). An error
 * in one request's part of a step fails that request only. Submission checks what the scheduler can ever run and
 * bounds the queue ({@link Admission}); {@link #shutdown} drains, joins the thread, then frees the executor.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Engine.class.getName());

    private final ModelExecutor exec;
    private final Tokenizer tokenizer;
    private final EngineConfig config;
    private final BlockManager blocks;
    private final Scheduler scheduler;
    private final Admission admission;
    private final StepBatch batch;
    private final StepResult result;
    private final LinkedBlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
    private final Map<String, SequenceGroup> groups = new HashMap<>();
    private final Set<String> liveIds = ConcurrentHashMap.newKeySet();  // ids submitted and not ended (any thread)
    private final EngineStats stats = new EngineStats();
    private final Thread thread;
    private boolean stopped;          // engine thread: leave the loop
    private volatile boolean draining;
    private final CountDownLatch drained = new CountDownLatch(1);
    private final AtomicBoolean shutDown = new AtomicBoolean();
    private final StepBuilder builder;
    private final BeamSearch beams;
    private final OutputPublisher publisher;
    private static final Logger REQUESTS = Logger.getLogger("jllm.requests");
    private Scheduler.Plan current;   // the plan of the step in progress
    private final EmbeddingQueue embeddings;

    private final AtomicLong unseeded = new AtomicLong();

    /** The k-th unseeded request's seed under the engine seed (SplitMix64). */
    static long mixSeed(long engineSeed, long k) {
        long z = engineSeed + 0x9E3779B97F4A7C15L * (k + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Rows of the model's logits (its vocabulary): token ids the model can read and produce are below this. */
    public int vocabSize() {
        return exec.vocabSize();
    }

    public Engine(ModelExecutor exec, Tokenizer tokenizer, EngineConfig config) {
        this.exec = exec;
        this.tokenizer = tokenizer;
        this.config = config;
        this.blocks = new BlockManager(exec.numBlocks(), exec.numHostBlocks(), exec.blockSize(), config.enablePrefixCaching());
        int maxRows = exec.maxLogitRows();
        this.scheduler = new Scheduler(blocks, config.maxNumBatchedTokens(), config.maxNumSeqs(), exec.maxModelLen(), maxRows);
        long maxTokens = config.maxWaitingTokens() > 0 ? config.maxWaitingTokens()
                : 16L * Math.max(config.maxNumBatchedTokens(), exec.maxModelLen());
        this.admission = new Admission(scheduler.limits, exec.vocabSize(), config.maxWaitingRequests(), maxTokens, stats);
        int stride = BlockManager.blocksFor(exec.maxModelLen(), exec.blockSize());
        this.batch = new StepBatch(config.maxNumBatchedTokens(), config.maxNumSeqs(), maxRows, stride);
        this.result = new StepResult(maxRows, exec.maxLogprobs());
        this.builder = new StepBuilder(batch, blocks.blockSize(), tokenizer, exec.vocabSize());
        this.beams = new BeamSearch(blocks, tokenizer, exec.maxModelLen());
        this.publisher = new OutputPublisher(tokenizer, stats, this::end);
        this.embeddings = new EmbeddingQueue(config.maxNumBatchedTokens(), config.maxNumSeqs());
        this.thread = new Thread(this::loop, "jllm-engine");
        thread.setDaemon(true);
        thread.start();
    }

    public EngineStats stats() {
        return stats;
    }

    public int maxModelLen() {
        return exec.maxModelLen();
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Whether the engine thread waits for a command without a timeout (an idle engine; tests read it). */
    boolean waitsForCommands() {
        return thread.getState() == Thread.State.WAITING;
    }

    /** Requests submitted and not yet scheduled: the live counter admission bounds. */
    public int queuedRequests() {
        return admission.queued();
    }

    /** Queues a request; its outputs arrive on the returned stream. Throws {@link RequestRejected} when refused. */
    public RequestStream submit(String requestId, int[] prompt, SamplingParams params) {
        return submit(requestId, prompt, params, new LinkedBlockingQueue<>());
    }

    /** As above, delivering outputs to a queue the caller may share between requests. */
    public RequestStream submit(String requestId, int[] prompt, SamplingParams params, LinkedBlockingQueue<RequestOutput> sink) {
        return submitAll(List.of(requestId), List.of(prompt), List.of(params), sink).get(0);
    }

    /**
     * The cheap admission checks a handler runs before rendering and tokenizing: throws {@link RequestRejected}
     * (503 while shutting down, 429 while the waiting queue is full).
     */
    public void checkAdmission() {
        admission.precheck();
    }

    /**
     * Queues the requests of one HTTP call, all or none: each must be able to run here (else 400 saying why), the
     * queue must have room (else 429 with Retry-After), the engine must not be shutting down (else 503), and no id
     * may be live already (else 400).
     */
    public List<RequestStream> submitAll(List<String> ids, List<int[]> prompts, List<SamplingParams> params,
                                         LinkedBlockingQueue<RequestOutput> sink) {
        List<String> added = new ArrayList<>();
        for (String id : ids) {
            if (!liveIds.add(id)) {
                liveIds.removeAll(added);
                stats.rejected("duplicate_id");
                throw new RequestRejected(400, "BadRequestError", "A request with id '" + id + "' is already running.", "request_id", "duplicate_id", 0);
            }
            added.add(id);
        }
        try {
            admission.reserve(prompts, params);
        } catch (RequestRejected e) {
            liveIds.removeAll(added);
            throw e;
        }
        List<RequestStream> streams = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) streams.add(enqueue(ids.get(i), prompts.get(i), params.get(i), sink, true));
        return streams;
    }

    /** Hands a request to the engine thread; `queued`: admission counted it (tests enqueue unchecked requests). */
    RequestStream enqueue(String requestId, int[] prompt, SamplingParams params, LinkedBlockingQueue<RequestOutput> sink, boolean queued) {
        RequestStream stream = new RequestStream(requestId, sink);
        long seed = params.seed() != null ? params.seed() : mixSeed(config.seed(), unseeded.getAndIncrement());
        commands.add(() -> {
            SequenceGroup g = new SequenceGroup(requestId, prompt, params, stream, seed);
            g.queued = queued;
            if (groups.putIfAbsent(requestId, g) != null) {  // only unchecked submissions get here
                if (queued) admission.release(prompt.length);
                stream.put(RequestOutput.error(requestId, "A request with id '" + requestId + "' is already running.", 400));
                return;
            }
            scheduler.add(g);
        });
        return stream;
    }

    /**
     * Queues an embedding call (pooling models): each input's pooled final hidden state, not normalized, computed
     * on the engine thread between generation steps. Throws {@link RequestRejected}: 400 when an input cannot run
     * (empty, or longer than max_model_len or max_num_batched_tokens: a whole input runs in one forward), 429 / 503
     * as for generation.
     */
    public java.util.concurrent.CompletableFuture<float[][]> embed(List<int[]> inputs, int pooling) {
        admission.reserveEmbedding(inputs, Math.min(exec.maxModelLen(), config.maxNumBatchedTokens()));
        long tokens = 0;
        for (int[] in : inputs) tokens += in.length;
        EmbeddingQueue.Job job = new EmbeddingQueue.Job(List.copyOf(inputs), pooling, tokens);
        commands.add(() -> embeddings.add(job));
        return job.done;
    }

    /** Stops a request and frees its KV blocks at the next step boundary; its stream gets a last "abort" output. */
    public void abort(String requestId) {
        commands.add(() -> {
            SequenceGroup g = groups.get(requestId);
            if (g != null) {
                end(g);
                stats.finished("abort");
                g.stream.put(RequestOutput.aborted(requestId, g.prompt.length));
                REQUESTS.info("Aborted request " + requestId);
            }
        });
    }

    /** The one way a request leaves the engine: no more outputs, blocks freed, admission counters released. */
    private void end(SequenceGroup g) {
        g.ended = true;
        groups.remove(g.requestId, g);
        liveIds.remove(g.requestId);
        scheduler.remove(g);
        started(g);
        publishStats();  // before the caller counts it as finished: a reader of that count sees its blocks freed
    }

    /** A request left the waiting queue for the first time (or ended): admission stops counting it. */
    private void started(SequenceGroup g) {
        if (!g.queued) return;
        g.queued = false;
        admission.release(g.prompt.length);
    }

    // ---- health and lifecycle --------------------------------------------------------------------------------------

    /** Null when healthy; else why /health should answer 503 (shutting down, or the watchdog fired). */
    public String unhealthy() {
        if (admission.closedReason() != null) return "the server is shutting down";
        if (!thread.isAlive()) return "the engine thread has stopped";
        long t = stats.stepStartedNanos;
        double secs = t == 0 ? 0 : (System.nanoTime() - t) / 1e9;
        if (secs > config.watchdogSeconds())
            return String.format("an engine step has been running for %.1f s (watchdog %.1f s, --watchdog-timeout)", secs, config.watchdogSeconds());
        return null;
    }

    /**
     * Graceful shutdown: new requests get 503 at once; running and waiting ones may finish for up to `drain`, then
     * the rest end with a 503 error; the engine thread is joined (waiting for a step in progress to return), and
     * only then is the executor's native memory freed. Returns false, freeing nothing, when the thread did not end
     * within joinLimit (a step that never returns). Idempotent.
     */
    public boolean shutdown(Duration drain, Duration joinLimit) {
        if (shutDown.compareAndSet(false, true)) {
            admission.close("The server is shutting down; it accepts no new requests.");
            draining = true;
            commands.add(() -> {});  // wake the loop so that an idle engine reports drained
            try {
                if (thread.isAlive()) drained.await(drain.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            commands.add(() -> {
                for (SequenceGroup g : new ArrayList<>(groups.values()))
                    fail(g, "The server shut down before this request finished.", 503);
                for (EmbeddingQueue.Job j : embeddings.failAll("The server shut down before this request finished."))
                    admission.release((int) j.tokens);
                stopped = true;
            });
        }
        try {
            thread.join(Math.max(1, joinLimit.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.severe("the engine thread is still in a step after " + joinLimit.toSeconds() + " s; its native memory is not freed");
            return false;
        }
        exec.close();
        return true;
    }

    /** Shutdown without draining: aborts what runs, waits for the step in progress, frees the executor. */
    @Override
    public void close() {
        shutdown(Duration.ZERO, Duration.ofMinutes(10));
    }

    // ---- the loop --------------------------------------------------------------------------------------------------

    private void loop() {
        boolean idle = true;
        while (!stopped) {
            try {
                // 1. commands; with nothing runnable, wait for one
                Runnable c = idle ? commands.take() : commands.poll();
                while (c != null) {
                    c.run();
                    c = commands.poll();
                }
                stats.loopIterations.incrementAndGet();
                // 2. one run of queued embedding work, then one step, unless it could not change anything
                idle = true;
                if (!embeddings.isEmpty()) {
                    EmbeddingQueue.Job started = embeddings.runOne(exec);
                    if (started != null) admission.release((int) started.tokens);
                    idle = false;
                }
                if (!stopped && scheduler.hasWork()) {
                    long t0 = System.nanoTime();
                    idle = !step();
                    stats.stepNanos.addAndGet(System.nanoTime() - t0);
                    stats.steps.incrementAndGet();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Throwable t) {
                LOG.log(Level.SEVERE, "engine step failed; failing the requests of that step", t);
                stats.stepStartedNanos = 0;
                if (current != null)
                    for (Scheduler.Work w : current.work) if (!w.seq().group.ended) fail(w.seq().group, "internal engine error: " + t, 500);
                idle = false;
            }
            current = null;
            logThroughput();
            publishStats();
            if (draining && groups.isEmpty() && embeddings.isEmpty()) drained.countDown();
        }
    }

    private void publishStats() {
        stats.running = scheduler.running.size();
        stats.waiting = scheduler.waiting.size();
        stats.swapped = scheduler.swapped.size();
        stats.swaps.set(scheduler.swaps);
        stats.hostKvUsage = blocks.hostUsage();
        stats.kvUsage = blocks.usage();
        stats.prefixHitRate = blocks.prefixHitRate();
        stats.queuedRequests = admission.queued();
        stats.queuedTokens = admission.queuedTokens();
    }

    private long lastLogNanos = System.nanoTime(), lastPrompt, lastGen;

    /** vLLM's periodic line, every 10 s while there is work. */
    private void logThroughput() {
        long now = System.nanoTime();
        if (now - lastLogNanos < 10_000_000_000L) return;
        long p = stats.promptTokens.get(), gtok = stats.generationTokens.get();
        if (scheduler.hasWork() || p != lastPrompt || gtok != lastGen) {
            double secs = (now - lastLogNanos) / 1e9;
            LOG.info(String.format("Avg prompt throughput: %.1f tokens/s, Avg generation throughput: %.1f tokens/s, Running: %d reqs, Swapped: %d reqs, Waiting: %d reqs, KV cache usage: %.1f%%",
                    (p - lastPrompt) / secs, (gtok - lastGen) / secs, scheduler.running.size(), scheduler.swapped.size(),
                    scheduler.waiting.size(), 100 * blocks.usage()));
        }
        lastLogNanos = now;
        lastPrompt = p;
        lastGen = gtok;
    }

    private void fail(SequenceGroup g, String message, int status) {
        end(g);
        stats.finished("error");
        g.stream.put(RequestOutput.error(g.requestId, message, status));
    }

    /** Runs one request's part of a step; an exception fails that request alone. */
    private void guarded(SequenceGroup g, Runnable part) {
        if (g.ended) return;
        try {
            part.run();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "request " + g.requestId + " failed in the engine", e);
            fail(g, "internal engine error in this request: " + e, 500);
        }
    }

    /** One step; false when it could change nothing (the loop then waits for a command). */
    private boolean step() {
        // 1. plan: requests that can never run fail; block moves in decision order (a copy-on-write may feed a
        //    swap-out decided after it)
        Scheduler.Plan plan = scheduler.schedule();
        current = plan;
        stats.preemptions.addAndGet(plan.preempted);
        for (int i = 0; i < plan.failed.size(); i++) fail(plan.failed.get(i), plan.failures.get(i), 400);
        for (Scheduler.Op op : plan.ops) {
            switch (op.kind()) {
                case COPY -> exec.copyBlocks(op.src(), op.dst(), op.src().length);
                case SWAP_OUT -> exec.swapOut(op.src(), op.dst(), op.src().length);
                case SWAP_IN -> exec.swapIn(op.src(), op.dst(), op.src().length);
            }
        }
        boolean progress = !plan.isEmpty() || !plan.ops.isEmpty() || !plan.failed.isEmpty() || plan.preempted > 0;
        for (Scheduler.Work w : plan.work) started(w.seq().group);
        // 2. the batch; a request whose rows cannot be built fails alone
        for (var e : builder.build(plan).entrySet()) fail(e.getKey(), "internal engine error preparing this request: " + e.getValue(), 500);
        plan.work.removeIf(w -> w.seq().group.ended);
        if (plan.isEmpty()) return progress;
        List<StepBuilder.Row> rows = builder.rows;
        // 3. the native step (the watchdog sees how long it runs)
        try {
            long t0 = System.nanoTime();
            stats.stepStartedNanos = t0;
            exec.step(batch, result);
            stats.nativeNanos.addAndGet(System.nanoTime() - t0);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "native step failed", e);
            for (Scheduler.Work w : plan.work) if (!w.seq().group.ended) fail(w.seq().group, e.getMessage(), 500);
            return true;
        } finally {
            stats.stepStartedNanos = 0;
        }
        // 4. results, each request guarded
        for (Scheduler.Work w : plan.work) {
            Sequence s = w.seq();
            int before = s.numComputed;
            s.numComputed += w.count();
            blocks.onComputed(s, before, s.numComputed);
            stats.promptTokens.addAndGet(Math.max(0, Math.min(s.numComputed, s.promptLen) - Math.min(before, s.promptLen)));
        }
        // prompt-logprob rows in order; sample rows last to first, so best_of children fork from the prompt state
        // before the first sequence appends its own token
        for (int r = 0; r < rows.size(); r++) {
            int row = r;
            if (rows.get(r).promptLogprob()) guarded(rows.get(r).seq().group, () -> applyRow(rows.get(row), row));
        }
        Map<SequenceGroup, Map<Sequence, TokenLogprob>> beamRows = new java.util.LinkedHashMap<>();
        for (int r = rows.size() - 1; r >= 0; r--) {
            StepBuilder.Row row = rows.get(r);
            if (row.promptLogprob()) continue;
            SequenceGroup g = row.seq().group;
            int at = r;
            if (g.params.useBeamSearch()) {
                guarded(g, () -> beamRows.computeIfAbsent(g, k -> new java.util.LinkedHashMap<>())
                        .put(row.seq(), logprobOf(at, result.tokens[at], StepBuilder.beamLogprobs(g.params))));
            } else {
                guarded(g, () -> applyRow(row, at));
            }
        }
        for (var e : beamRows.entrySet()) guarded(e.getKey(), () -> advanceBeams(e.getKey(), e.getValue()));
        List<SequenceGroup> touched = new ArrayList<>();
        for (Scheduler.Work w : plan.work) if (!touched.contains(w.seq().group)) touched.add(w.seq().group);
        for (SequenceGroup g : touched) guarded(g, () -> publisher.publish(g));
        return true;
    }

    private void advanceBeams(SequenceGroup g, Map<Sequence, TokenLogprob> proposals) {
        if (g.firstTokenNanos == 0) {
            g.firstTokenNanos = System.nanoTime();
            stats.timeToFirstToken.observe((g.firstTokenNanos - g.arrivalNanos) / 1e9);
        }
        stats.generationTokens.addAndGet(proposals.size());
        g.beamDone = beams.advance(g, proposals);
    }

    // ---- applying results --------------------------------------------------------------------------------------

    private TokenLogprob logprobOf(int r, int token, int n) {
        int[] ids = new int[n];
        float[] lps = new float[n];
        System.arraycopy(result.topIds, r * result.topStride, ids, 0, n);
        System.arraycopy(result.topLogprobs, r * result.topStride, lps, 0, n);
        return new TokenLogprob(token, result.logprobs[r], ids, lps);
    }

    private void applyRow(StepBuilder.Row row, int r) {
        Sequence s = row.seq();
        SequenceGroup g = s.group;
        if (s.finished() || g.ended) return;
        if (row.promptLogprob()) {
            g.promptLogprobs.add(logprobOf(r, result.tokens[r], g.params.promptLogprobs()));
            return;
        }
        Sequence target = s;
        if (row.child() > 0) {
            target = s.fork(row.child(), g.seedFor(row.child()));
            blocks.fork(s, target);
            g.seqs.add(target);
        }
        if (g.params.bestOf() > 1) g.forked = true;
        appendToken(target, result.tokens[r], r);
    }

    private void appendToken(Sequence s, int token, int r) {
        SequenceGroup g = s.group;
        SamplingParams p = g.params;
        if (g.firstTokenNanos == 0) {
            g.firstTokenNanos = System.nanoTime();
            stats.timeToFirstToken.observe((g.firstTokenNanos - g.arrivalNanos) / 1e9);
        }
        if (token < 0) {  // every token was masked out: nothing valid can follow
            finish(s, "stop", null);
            return;
        }
        s.tokens.add(token);
        s.cumLogprob += result.logprobs[r];
        stats.generationTokens.incrementAndGet();
        if (p.logprobs() != null) s.pendingLogprobs.add(logprobOf(r, token, p.logprobs()));
        if (s.constraint != null) s.constraint.accept(token);
        String delta = detokenize(s);
        checkStop(s, token, delta);
    }

    private String detokenize(Sequence s) {
        String delta = IncrementalDetokenizer.next(tokenizer, s.tokens.raw(), s.tokens.size(), s.detok, s.group.params.skipSpecialTokens());
        s.text.append(delta);
        return delta;
    }

    private void checkStop(Sequence s, int token, String delta) {
        SamplingParams p = s.group.params;
        if (s.outputLen() >= p.minTokens()) {
            boolean eos = !p.ignoreEos() && (token == tokenizer.eosId() || tokenizer.eosIds().contains(token));
            if (eos || p.stopTokenIds().contains(token)) {
                // like a stop string, the finishing EOS or stop token's text (e.g. "</s>" with skip_special_tokens
                // false) belongs to the output only when asked for (vLLM's StopChecker)
                if (!p.includeStopStrInOutput()) s.text.setLength(s.text.length() - delta.length());
                finish(s, "stop", eos && token == tokenizer.eosId() ? null : token);
                return;
            }
            if (!p.stop().isEmpty() && !delta.isEmpty()) {
                int maxLen = 0;
                for (String st : p.stop()) maxLen = Math.max(maxLen, st.length());
                int from = Math.max(0, s.text.length() - delta.length() - maxLen + 1);
                int bestAt = -1;
                String best = null;
                for (String st : p.stop()) {
                    int at = s.text.indexOf(st, from);
                    if (at >= 0 && (bestAt < 0 || at < bestAt)) { bestAt = at; best = st; }
                }
                if (best != null) {
                    s.text.setLength(p.includeStopStrInOutput() ? bestAt + best.length() : bestAt);
                    finish(s, "stop", best);
                    return;
                }
            }
        }
        if (s.tokens.size() >= exec.maxModelLen() || s.outputLen() >= p.maxTokens()) finish(s, "length", null);
    }

    private void finish(Sequence s, String reason, Object stopReason) {
        s.status = Sequence.Status.FINISHED;
        s.finishReason = reason;
        s.stopReason = stopReason;
        blocks.free(s);
    }
}
