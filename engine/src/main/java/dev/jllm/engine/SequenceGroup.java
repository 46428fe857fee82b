package dev.jllm.engine;

import java.util.ArrayList;
import java.util.List;

/** One request: a prompt, its sampling parameters, and its best_of sequences. */
final class SequenceGroup {
    final String requestId;
    final int[] prompt;
    final SamplingParams params;
    final RequestStream stream;
    final long arrivalNanos;
    final List<Sequence> seqs = new ArrayList<>();
    final long baseSeed;
    boolean forked;            // best_of > 1: children created after the prompt's first sample
    List<TokenLogprob> promptLogprobs;  // filled while the prompt is computed, when asked
    boolean promptLogprobsSent;
    long firstTokenNanos;
    final List<BeamSearch.Hypothesis> beamFinished = new ArrayList<>();  // beam search only
    boolean beamDone;
    int nextIndex = 1;  // index of the next forked beam
    boolean queued;     // counted by admission until it first runs
    boolean ended;      // finished, aborted or failed: no more outputs

    SequenceGroup(String requestId, int[] prompt, SamplingParams params, RequestStream stream, long baseSeed) {
        this.requestId = requestId;
        this.prompt = prompt;
        this.params = params;
        this.stream = stream;
        this.arrivalNanos = System.nanoTime();
        this.baseSeed = baseSeed;
        Sequence first = new Sequence(0, this, prompt, seedFor(0));
        first.constraint = params.constraint() == null ? null : params.constraint().fork();  // params keep the initial state
        seqs.add(first);
        if (params.promptLogprobs() != null) promptLogprobs = new ArrayList<>();
    }

    long seedFor(int index) {
        return baseSeed + 0x9E3779B97F4A7C15L * index;
    }

    boolean allFinished() {
        for (Sequence s : seqs) if (!s.finished()) return false;
        return true;
    }

    List<Sequence> unfinished() {
        List<Sequence> out = new ArrayList<>();
        for (Sequence s : seqs) if (!s.finished()) out.add(s);
        return out;
    }
}
