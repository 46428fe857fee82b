package dev.jllm.engine;

import dev.jllm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Turns sequences' new tokens and text into {@link RequestOutput}s (vLLM's output processor): streamed deltas
 * (holding back what may still become a stop string), best_of's n likeliest at the end, beam search's hypotheses
 * at once; the metrics and log line of a finished request. Engine thread only.
 */
final class OutputPublisher {
    private static final Logger REQUESTS = Logger.getLogger("jllm.requests");

    private final Tokenizer tokenizer;
    private final EngineStats stats;
    private final Consumer<SequenceGroup> end;  // the engine's: a request leaves it

    OutputPublisher(Tokenizer tokenizer, EngineStats stats, Consumer<SequenceGroup> end) {
        this.tokenizer = tokenizer;
        this.stats = stats;
        this.end = end;
    }

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
        s.finishPublished = s.finished();
        return new RequestOutput.SeqDelta(index, text, ids, lps, offset, s.finished(), s.finishReason, s.stopReason,
                s.outputLen(), s.cumLogprob);
    }

    /** Sends g's new output (all of it at the end for best_of > n and beams); ends g when it is done. */
    void publish(SequenceGroup g) {
        if (g.ended) return;
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
            // a choice that finished at an earlier step has said everything: its finish goes out once (vLLM), while
            // the group's other choices go on
            for (Sequence s : g.seqs) if (!s.finishPublished) deltas.add(delta(s, s.index, false));
        }
        RequestOutput out = new RequestOutput(g.requestId, g.prompt.length, deltas, promptLps, done, null, 0);
        if (done) {  // ended and counted before the client sees its last output
            end.accept(g);
            finished(g, g.seqs.get(0).finishReason);
        }
        g.stream.put(out);
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
            deltas.add(new RequestOutput.SeqDelta(i, text, h.tokens(), h.logprobs(), 0, true, h.finishReason(), h.stopReason(),
                    h.tokens().length, h.cumLogprob()));
        }
        end.accept(g);
        finished(g, deltas.isEmpty() ? "stop" : deltas.get(0).finishReason());
        g.stream.put(new RequestOutput(g.requestId, g.prompt.length, deltas, g.promptLogprobs, true, null, 0));
    }

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
}
