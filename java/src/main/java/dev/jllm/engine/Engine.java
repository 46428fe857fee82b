package dev.jllm.engine;

import dev.jllm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The step loop. One platform thread owns the scheduler, the block manager and every sequence; other threads
 * only submit and abort requests (through a queue) and read their {@link RequestStream}s. Each step: drain
 * commands → schedule → (block copies) → ONE native step (forward + sample) → append tokens, detokenize, check
 * stops → publish deltas.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Engine.class.getName());

    private final ModelExecutor exec;
    private final Tokenizer tokenizer;
    private final EngineConfig config;
    private final BlockManager blocks;
    private final Scheduler scheduler;
    private final StepBatch batch;
    private final StepResult result;
    private final LinkedBlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
    private final Map<String, SequenceGroup> groups = new HashMap<>();
    private final EngineStats stats = new EngineStats();
    private final Thread thread;
    private volatile boolean stopping;
    private final StepBuilder builder;
    private final BeamSearch beams;

    private final java.util.concurrent.atomic.AtomicLong unseeded = new java.util.concurrent.atomic.AtomicLong();

    /** The k-th unseeded request's seed under the engine seed (SplitMix64). */
    static long mixSeed(long engineSeed, long k) {
        long z = engineSeed + 0x9E3779B97F4A7C15L * (k + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public Engine(ModelExecutor exec, Tokenizer tokenizer, EngineConfig config) {
        this.exec = exec;
        this.tokenizer = tokenizer;
        this.config = config;
        this.blocks = new BlockManager(exec.numBlocks(), exec.numHostBlocks(), exec.blockSize(), config.enablePrefixCaching());
        int maxRows = exec.maxLogitRows();
        this.scheduler = new Scheduler(blocks, config.maxNumBatchedTokens(), config.maxNumSeqs(), maxRows);
        int stride = BlockManager.blocksFor(exec.maxModelLen(), exec.blockSize());
        this.batch = new StepBatch(config.maxNumBatchedTokens(), config.maxNumSeqs(), maxRows, stride);
        this.result = new StepResult(maxRows, exec.maxLogprobs());
        this.builder = new StepBuilder(batch, blocks.blockSize(), tokenizer, exec.vocabSize());
        this.beams = new BeamSearch(blocks, tokenizer, exec.maxModelLen());
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

    /** Queues a request; its outputs arrive on the returned stream. The prompt is validated by the caller. */
    public RequestStream submit(String requestId, int[] prompt, SamplingParams params) {
        return submit(requestId, prompt, params, new LinkedBlockingQueue<>());
    }

    /** As above, delivering outputs to a queue the caller may share between requests. */
    public RequestStream submit(String requestId, int[] prompt, SamplingParams params, LinkedBlockingQueue<RequestOutput> sink) {
        RequestStream stream = new RequestStream(requestId, sink);
        long seed = params.seed() != null ? params.seed() : mixSeed(config.seed(), unseeded.getAndIncrement());
        commands.add(() -> {
            SequenceGroup g = new SequenceGroup(requestId, prompt, params, stream, seed);
            groups.put(requestId, g);
            scheduler.add(g);
        });
        return stream;
    }

    /** Stops a request and frees its KV blocks at the next step boundary. */
    public void abort(String requestId) {
        commands.add(() -> {
            SequenceGroup g = groups.remove(requestId);
            if (g != null) {
                scheduler.remove(g);
                stats.finished("abort");
                REQUESTS.info("Aborted request " + requestId);
            }
        });
    }

    private void loop() {
        while (!stopping) {
            try {
                Runnable c = scheduler.hasWork() ? commands.poll() : commands.poll(50, TimeUnit.MILLISECONDS);
                while (c != null) {
                    c.run();
                    c = commands.poll();
                }
                if (scheduler.hasWork()) {
                    long t0 = System.nanoTime();
                    step();
                    stats.stepNanos.addAndGet(System.nanoTime() - t0);
                    stats.steps.incrementAndGet();
                }
                logThroughput();
                stats.running = scheduler.running.size();
                stats.waiting = scheduler.waiting.size();
                stats.swapped = scheduler.swapped.size();
                stats.swaps.set(scheduler.swaps);
                stats.hostKvUsage = blocks.hostUsage();
                stats.kvUsage = blocks.usage();
                stats.prefixHitRate = blocks.prefixHitRate();
            } catch (InterruptedException e) {
                return;
            } catch (Throwable t) {
                LOG.log(Level.SEVERE, "engine step failed; failing the running requests", t);
                for (SequenceGroup g : new ArrayList<>(scheduler.running)) fail(g, "internal engine error: " + t.getMessage(), 500);
            }
        }
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
        stats.finished("error");
        scheduler.remove(g);
        groups.remove(g.requestId);
        g.stream.put(RequestOutput.error(g.requestId, message, status));
    }

    private void step() {
        Scheduler.Plan plan = scheduler.schedule();
        stats.preemptions.addAndGet(plan.preempted);
        for (int i = 0; i < plan.failed.size(); i++) fail(plan.failed.get(i), plan.failures.get(i), 400);
        // block moves in decision order (a copy-on-write may feed a swap-out decided after it)
        for (Scheduler.Op op : plan.ops) {
            switch (op.kind()) {
                case COPY -> exec.copyBlocks(op.src(), op.dst(), op.src().length);
                case SWAP_OUT -> exec.swapOut(op.src(), op.dst(), op.src().length);
                case SWAP_IN -> exec.swapIn(op.src(), op.dst(), op.src().length);
            }
        }
        if (plan.isEmpty()) return;
        builder.build(plan);
        List<StepBuilder.Row> rows = builder.rows;
        try {
            long t0 = System.nanoTime();
            exec.step(batch, result);
            stats.nativeNanos.addAndGet(System.nanoTime() - t0);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "native step failed", e);
            for (Scheduler.Work w : plan.work) if (groups.containsKey(w.seq().group.requestId)) fail(w.seq().group, e.getMessage(), 500);
            return;
        }
        for (Scheduler.Work w : plan.work) {
            Sequence s = w.seq();
            int before = s.numComputed;
            s.numComputed += w.count();
            blocks.onComputed(s, before, s.numComputed);
            stats.promptTokens.addAndGet(Math.max(0, Math.min(s.numComputed, s.promptLen) - Math.min(before, s.promptLen)));
        }
        // prompt-logprob rows in order; sample rows last to first, so best_of children fork from the prompt state
        // before the first sequence appends its own token
        for (int r = 0; r < rows.size(); r++) if (rows.get(r).promptLogprob()) applyRow(rows.get(r), r);
        Map<SequenceGroup, Map<Sequence, TokenLogprob>> beamRows = new java.util.LinkedHashMap<>();
        for (int r = rows.size() - 1; r >= 0; r--) {
            StepBuilder.Row row = rows.get(r);
            if (row.promptLogprob()) continue;
            SequenceGroup g = row.seq().group;
            if (g.params.useBeamSearch()) {
                if (groups.containsKey(g.requestId))
                    beamRows.computeIfAbsent(g, k -> new java.util.LinkedHashMap<>()).put(row.seq(), logprobOf(r, result.tokens[r], 2 * g.params.bestOf()));
            } else {
                applyRow(row, r);
            }
        }
        for (var e : beamRows.entrySet()) {
            SequenceGroup g = e.getKey();
            if (g.firstTokenNanos == 0) {
                g.firstTokenNanos = System.nanoTime();
                stats.timeToFirstToken.observe((g.firstTokenNanos - g.arrivalNanos) / 1e9);
            }
            stats.generationTokens.addAndGet(e.getValue().size());
            g.beamDone = beams.advance(g, e.getValue());
        }
        List<SequenceGroup> touched = new ArrayList<>();
        for (Scheduler.Work w : plan.work) if (!touched.contains(w.seq().group)) touched.add(w.seq().group);
        for (SequenceGroup g : touched) publish(g);
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
        if (s.finished() || !groups.containsKey(g.requestId)) return;
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
            if (!p.ignoreEos() && token == tokenizer.eosId()) {
                finish(s, "stop", null);
                return;
            }
            if (p.stopTokenIds().contains(token) || (!p.ignoreEos() && tokenizer.eosIds().contains(token))) {
                // like a stop string, a stop token's text belongs to the output only when asked for (vLLM's StopChecker)
                if (p.stopTokenIds().contains(token) && !p.includeStopStrInOutput()) s.text.setLength(s.text.length() - delta.length());
                finish(s, "stop", token);
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

    // ---- publishing ----------------------------------------------------------------------------------------------

    private RequestOutput.SeqDelta delta(Sequence s, int index, boolean all) {
        SamplingParams p = s.group.params;
        int hold = 0;
        if (!s.finished() && !p.stop().isEmpty() && !p.includeStopStrInOutput())
            for (String st : p.stop()) hold = Math.max(hold, st.length() - 1);
        int visible = Math.max(s.emittedChars, s.text.length() - hold);
        if (all) { s.emittedChars = 0; s.emittedTokens = 0; }
        int offset = s.emittedChars;
        String text = visible > offset ? s.text.substring(offset, visible) : "";
        s.emittedChars = Math.max(s.emittedChars, visible);
        int from = s.promptLen + s.emittedTokens;
        int[] ids = new int[s.tokens.size() - from];
        System.arraycopy(s.tokens.raw(), from, ids, 0, ids.length);
        s.emittedTokens = s.outputLen();
        List<TokenLogprob> lps = p.logprobs() == null ? null : new ArrayList<>(s.pendingLogprobs);
        s.pendingLogprobs.clear();
        return new RequestOutput.SeqDelta(index, text, ids, lps, offset, s.finished(), s.finishReason, s.stopReason,
                s.outputLen(), s.cumLogprob);
    }

    private void publish(SequenceGroup g) {
        if (!groups.containsKey(g.requestId)) return;
        SamplingParams p = g.params;
        if (p.useBeamSearch()) {
            if (!g.beamDone) return;
            publishBeams(g);
            return;
        }
        boolean done = g.allFinished() && (g.forked || p.bestOf() == 1);
        List<TokenLogprob> promptLps = null;
        if (g.promptLogprobs != null && !g.promptLogprobsSent && g.promptLogprobs.size() >= g.prompt.length - 1) {
            promptLps = g.promptLogprobs;
            g.promptLogprobsSent = true;
        }
        List<RequestOutput.SeqDelta> deltas = new ArrayList<>();
        if (p.bestOf() > p.n()) {
            if (!done) return;  // best_of > n: only the n best are returned, at the end
            List<Sequence> best = new ArrayList<>(g.seqs);
            best.sort((a, b) -> Double.compare(b.cumLogprob, a.cumLogprob));
            for (int i = 0; i < p.n(); i++) {
                Sequence s = best.get(i);
                s.pendingLogprobs.clear();
                deltas.add(fullDelta(s, i));
            }
        } else {
            for (Sequence s : g.seqs) deltas.add(delta(s, s.index, false));
        }
        g.stream.put(new RequestOutput(g.requestId, g.prompt.length, deltas, promptLps, done, null, 0));
        if (done) {
            groups.remove(g.requestId);
            scheduler.remove(g);
            finished(g, g.seqs.get(0).finishReason);
        }
    }

    /** The n best beam hypotheses, all at once (beam search does not stream). */
    private void publishBeams(SequenceGroup g) {
        List<RequestOutput.SeqDelta> deltas = new ArrayList<>();
        for (int i = 0; i < Math.min(g.params.n(), g.beamFinished.size()); i++) {
            BeamSearch.Hypothesis h = g.beamFinished.get(i);
            int visible = h.endsWithEos() && !g.params.includeStopStrInOutput() ? h.tokens().length - 1 : h.tokens().length;
            int[] all = new int[g.prompt.length + visible];
            System.arraycopy(g.prompt, 0, all, 0, g.prompt.length);
            System.arraycopy(h.tokens(), 0, all, g.prompt.length, visible);
            int from = Math.max(0, g.prompt.length - 5);
            String prefix = tokenizer.decode(all, from, g.prompt.length, g.params.skipSpecialTokens());
            String text = tokenizer.decode(all, from, all.length, g.params.skipSpecialTokens());
            text = text.length() >= prefix.length() ? text.substring(prefix.length()) : text;
            deltas.add(new RequestOutput.SeqDelta(i, text, h.tokens(), null, 0, true, h.finishReason(), h.stopReason(),
                    h.tokens().length, h.cumLogprob()));
        }
        g.stream.put(new RequestOutput(g.requestId, g.prompt.length, deltas, g.promptLogprobs, true, null, 0));
        groups.remove(g.requestId);
        scheduler.remove(g);
        finished(g, deltas.isEmpty() ? "stop" : deltas.get(0).finishReason());
    }

    private static final Logger REQUESTS = Logger.getLogger("jllm.requests");

    /** Metrics and the one log line of a finished request. */
    private void finished(SequenceGroup g, String reason) {
        long now = System.nanoTime();
        int out = 0;
        for (Sequence s : g.seqs) out += s.outputLen();
        for (BeamSearch.Hypothesis h : g.beamFinished) out = Math.max(out, h.tokens().length);
        double e2e = (now - g.arrivalNanos) / 1e9, ttft = g.firstTokenNanos == 0 ? e2e : (g.firstTokenNanos - g.arrivalNanos) / 1e9;
        stats.requestsFinished.incrementAndGet();
        stats.finished(reason);
        stats.e2eLatency.observe(e2e);
        int perSeq = g.seqs.isEmpty() ? out : out / g.seqs.size();
        if (perSeq > 1) stats.timePerOutputToken.observe((e2e - ttft) / (perSeq - 1));
        REQUESTS.info(String.format("Finished request %s: prompt tokens %d, output tokens %d, TTFT %.3f s, duration %.3f s, finish reason %s",
                g.requestId, g.prompt.length, out, ttft, e2e, reason));
    }

    /** The whole output of a sequence (best_of selection sends everything at once). */
    private RequestOutput.SeqDelta fullDelta(Sequence s, int index) {
        int[] ids = new int[s.outputLen()];
        System.arraycopy(s.tokens.raw(), s.promptLen, ids, 0, ids.length);
        return new RequestOutput.SeqDelta(index, s.text.toString(), ids, null, 0, true, s.finishReason, s.stopReason,
                s.outputLen(), s.cumLogprob);
    }

    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
