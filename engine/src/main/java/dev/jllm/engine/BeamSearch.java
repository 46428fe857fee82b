package dev.jllm.engine;

import dev.jllm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * vLLM v0.5's beam search (use_beam_search, best_of = beam width, length_penalty, early_stopping): each step
 * every live beam proposes its top 2·width tokens; the best 2·width (beam, token) pairs by cumulative logprob are
 * kept; those ending in EOS become finished hypotheses, the best `width` others are the next beams (beams chosen
 * twice fork, sharing KV blocks copy-on-write; beams not chosen are freed). Engine thread only.
 */
final class BeamSearch {
    /** A finished beam: its output tokens, cumulative logprob, finish reason and (when asked) each token's logprobs. */
    record Hypothesis(int[] tokens, double cumLogprob, int promptLen, boolean endsWithEos, String finishReason, Object stopReason,
                      List<TokenLogprob> logprobs) {
        double score(float lengthPenalty) {
            int len = promptLen + tokens.length - (endsWithEos ? 1 : 0);
            return cumLogprob / Math.pow(len, lengthPenalty);
        }
    }

    /** A beam's continuation: the token, its own logprob, the cumulative one; its step's proposal (the alternatives). */
    private record Candidate(Sequence parent, int token, float logprob, double cum, TokenLogprob proposal) {}

    private final BlockManager blocks;
    private final Tokenizer tokenizer;
    private final int maxModelLen;

    BeamSearch(BlockManager blocks, Tokenizer tokenizer, int maxModelLen) {
        this.blocks = blocks;
        this.tokenizer = tokenizer;
        this.maxModelLen = maxModelLen;
    }

    private static double score(Sequence s, float lengthPenalty) {
        return s.cumLogprob / Math.pow(s.tokens.size(), lengthPenalty);
    }

    private boolean isStop(SamplingParams p, int token) {
        return (!p.ignoreEos() && tokenizer.eosIds().contains(token)) || p.stopTokenIds().contains(token);
    }

    /**
     * Advances group g by one step given each live beam's top candidates; returns true when the search is over
     * (every beam is then finished and g.beamFinished holds the hypotheses).
     */
    boolean advance(SequenceGroup g, Map<Sequence, TokenLogprob> proposals) {
        SamplingParams p = g.params;
        int width = p.bestOf();
        // 1. the best 2·width (beam, token) continuations over all beams
        List<Candidate> cands = new ArrayList<>();
        for (var e : proposals.entrySet()) {
            TokenLogprob lp = e.getValue();
            for (int i = 0; i < Math.min(2 * width, lp.topIds().length); i++)
                if (Float.isFinite(lp.topLogprobs()[i]))
                    cands.add(new Candidate(e.getKey(), lp.topIds()[i], lp.topLogprobs()[i], e.getKey().cumLogprob + lp.topLogprobs()[i], lp));
        }
        cands.sort(Comparator.comparingDouble(Candidate::cum).reversed());
        if (cands.size() > 2 * width) cands = cands.subList(0, 2 * width);
        // 2. stop tokens finish a hypothesis; the best `width` others continue
        List<Candidate> next = new ArrayList<>();
        for (Candidate c : cands) {
            boolean minOk = c.parent().outputLen() + 1 >= p.minTokens();
            if (isStop(p, c.token()) && minOk) {
                int[] out = appendTo(c.parent(), c.token());
                Object reason = p.stopTokenIds().contains(c.token()) ? (Object) c.token() : null;
                g.beamFinished.add(new Hypothesis(out, c.cum(), c.parent().promptLen, true, "stop", reason, logprobsWith(p, c.parent(), c)));
            } else if (!isStop(p, c.token()) && next.size() < width) {
                next.add(c);
            }
        }
        g.beamFinished.sort(Comparator.comparingDouble((Hypothesis h) -> h.score(p.lengthPenalty())).reversed());
        while (g.beamFinished.size() > width) g.beamFinished.remove(g.beamFinished.size() - 1);
        // 3. the next beams: a parent chosen k times forks k - 1 children first, then appends its own token
        Map<Sequence, List<Candidate>> byParent = new LinkedHashMap<>();
        for (Candidate c : next) byParent.computeIfAbsent(c.parent(), k -> new ArrayList<>()).add(c);
        List<Sequence> live = new ArrayList<>();
        for (Sequence parent : new ArrayList<>(proposals.keySet())) {
            List<Candidate> uses = byParent.get(parent);
            if (uses == null) {
                drop(g, parent);
                continue;
            }
            for (int k = 1; k < uses.size(); k++) {
                Sequence child = parent.fork(g.nextIndex++, parent.seed);
                blocks.fork(parent, child);
                g.seqs.add(child);
                if (p.logprobs() != null) child.pendingLogprobs.addAll(logprobsWith(p, parent, uses.get(k)));  // all its tokens'
                child.tokens.add(uses.get(k).token());
                child.cumLogprob = uses.get(k).cum();
                live.add(child);
            }
            if (p.logprobs() != null) parent.pendingLogprobs.add(entry(p, uses.get(0)));
            parent.tokens.add(uses.get(0).token());
            parent.cumLogprob = uses.get(0).cum();
            live.add(parent);
        }
        // 4. termination: max length, or no running beam can beat the worst kept hypothesis
        boolean done = live.isEmpty();
        if (!done && live.get(0).outputLen() >= p.maxTokens() || !done && live.get(0).tokens.size() >= maxModelLen) {
            for (Sequence s : live)
                g.beamFinished.add(new Hypothesis(outputOf(s), s.cumLogprob, s.promptLen, false, "length", null,
                        p.logprobs() == null ? null : List.copyOf(s.pendingLogprobs)));
            g.beamFinished.sort(Comparator.comparingDouble((Hypothesis h) -> h.score(p.lengthPenalty())).reversed());
            done = true;
        } else if (!done && g.beamFinished.size() >= width) {
            if (p.earlyStopping().equals("true")) {
                done = true;
            } else {
                Sequence best = live.stream().max(Comparator.comparingDouble(s -> score(s, p.lengthPenalty()))).orElseThrow();
                double worst = g.beamFinished.get(g.beamFinished.size() - 1).score(p.lengthPenalty());
                double attainable = score(best, p.lengthPenalty());
                if (p.earlyStopping().equals("never") && p.lengthPenalty() > 0) {
                    int maxLen = Math.max(best.promptLen + p.maxTokens(), maxModelLen);
                    attainable = best.cumLogprob / Math.pow(maxLen, p.lengthPenalty());
                }
                done = worst >= attainable;
            }
        }
        if (done) for (Sequence s : live) drop(g, s);
        return done;
    }

    /** The logprobs entry of a chosen continuation: its token's logprob and the `logprobs` likeliest of its step. */
    private static TokenLogprob entry(SamplingParams p, Candidate c) {
        int k = Math.min(p.logprobs(), c.proposal().topIds().length);
        return new TokenLogprob(c.token(), c.logprob(), java.util.Arrays.copyOf(c.proposal().topIds(), k),
                java.util.Arrays.copyOf(c.proposal().topLogprobs(), k));
    }

    /** The parent beam's logprobs then the candidate's (null when logprobs were not asked for). */
    private static List<TokenLogprob> logprobsWith(SamplingParams p, Sequence parent, Candidate c) {
        if (p.logprobs() == null) return null;
        List<TokenLogprob> out = new ArrayList<>(parent.pendingLogprobs);
        out.add(entry(p, c));
        return out;
    }

    private void drop(SequenceGroup g, Sequence s) {
        s.status = Sequence.Status.FINISHED;
        blocks.free(s);
        g.seqs.remove(s);
    }

    private static int[] outputOf(Sequence s) {
        int[] out = new int[s.outputLen()];
        System.arraycopy(s.tokens.raw(), s.promptLen, out, 0, out.length);
        return out;
    }

    private static int[] appendTo(Sequence s, int token) {
        int[] out = java.util.Arrays.copyOf(outputOf(s), s.outputLen() + 1);
        out[out.length - 1] = token;
        return out;
    }
}
