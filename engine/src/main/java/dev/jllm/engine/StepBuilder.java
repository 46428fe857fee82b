package dev.jllm.engine;

import dev.jllm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a scheduler plan into the step's flat batch (vLLM's layout) and its sampling rows: prompt-logprob rows
 * scoring each prompt token, one sampling row per sequence that reached its end (best_of rows for a prompt's first
 * sample, 2·width candidates for beams), with penalties, logit bias, min_tokens bans and the constraint's mask.
 * Engine thread only; the batch and row objects are reused every step.
 */
final class StepBuilder {
    /** Where a logit row's result goes. */
    record Row(Sequence seq, boolean promptLogprob, int child) {}

    final List<Row> rows = new ArrayList<>();
    private final StepBatch batch;
    private final int bs;
    private final Tokenizer tokenizer;
    private final int vocabSize, maskWords;

    StepBuilder(StepBatch batch, int blockSize, Tokenizer tokenizer, int vocabSize) {
        this.batch = batch;
        this.bs = blockSize;
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.maskWords = (vocabSize + 31) / 32;
    }

    /**
     * Fills the batch for a plan: tokens, positions, slots, block tables and one sampling row per needed logit.
     * A request whose part cannot be built (an exception, or more rows than the step holds) is left out of the
     * batch and returned with the reason, so that the engine fails it alone.
     */
    Map<SequenceGroup, String> build(Scheduler.Plan plan) {
        batch.clear();
        rows.clear();
        Map<SequenceGroup, String> faults = new LinkedHashMap<>();
        int i = 0;
        while (i < plan.work.size()) {
            SequenceGroup g = plan.work.get(i).seq().group;
            int tokens = batch.numTokens, seqs = batch.numSeqs, numRows = batch.numRows, rowCount = rows.size();
            try {
                for (; i < plan.work.size() && plan.work.get(i).seq().group == g; i++) add(plan.work.get(i));
            } catch (RuntimeException e) {
                faults.put(g, e.toString());
                for (; i < plan.work.size() && plan.work.get(i).seq().group == g; i++) { }
                batch.numTokens = tokens;
                batch.numSeqs = seqs;
                batch.numRows = numRows;
                batch.queryStart[seqs] = tokens;
                while (rows.size() > rowCount) rows.remove(rows.size() - 1);
            }
        }
        return faults;
    }

    private void add(Scheduler.Work w) {
        Sequence s = w.seq();
        SequenceGroup g = s.group;
        if (batch.numSeqs >= batch.maxSeqs || batch.numTokens + w.count() > batch.maxTokens)
            throw new IllegalStateException("the step is full (" + batch.numSeqs + " sequences, " + batch.numTokens + " tokens)");
        int seqIdx = batch.numSeqs++;
        int first = batch.numTokens;
        for (int i = 0; i < w.count(); i++) {
            int p = s.numComputed + i, t = batch.numTokens++;
            batch.tokenIds[t] = s.tokens.get(p);
            batch.positions[t] = p;
            batch.slots[t] = (long) s.blocks.get(p / bs) * bs + p % bs;
        }
        batch.queryStart[seqIdx + 1] = batch.numTokens;
        batch.contextLens[seqIdx] = s.numComputed + w.count();
        System.arraycopy(s.blocks.raw(), 0, batch.blockTables, seqIdx * batch.stride, s.blocks.size());
        // prompt logprobs: score each prompt token from the one before it (first pass over the prompt only)
        if (wantsPromptLogprobs(s)) {
            for (int i = 0; i < w.count(); i++) {
                int p = s.numComputed + i;
                if (p + 1 < s.promptLen && p >= g.promptLogprobs.size()) {
                    StepBatch.SamplingRow row = addRow(first + i, new Row(s, true, 0));
                    row.temperature = 0;
                    row.forcedToken = s.tokens.get(p + 1);
                    row.numLogprobs = g.params.promptLogprobs();
                }
            }
        }
        if (s.numComputed + w.count() == s.tokens.size()) {
            boolean beam = g.params.useBeamSearch();
            int samples = samplesAtEnd(s);
            for (int c = 0; c < samples; c++) {
                StepBatch.SamplingRow row = addRow(batch.numTokens - 1, new Row(s, false, c));
                fillSampling(row, s, c);
                if (beam) row.numLogprobs = beamLogprobs(g.params);
            }
        }
    }

    /** Top entries a beam row returns: its 2·width proposals, and the `logprobs` alternatives when asked. */
    static int beamLogprobs(SamplingParams p) {
        return Math.max(2 * p.bestOf(), p.logprobs() == null ? 0 : p.logprobs());
    }

    private static boolean wantsPromptLogprobs(Sequence s) {
        return s.group.promptLogprobs != null && s.index == 0 && !s.group.forked;
    }

    /** Sampling rows of a sequence that reaches its end: best_of for a prompt's first sample, else one. */
    static int samplesAtEnd(Sequence s) {
        SequenceGroup g = s.group;
        boolean first = !g.params.useBeamSearch() && !g.forked && s.index == 0 && s.outputLen() == 0;
        return first && g.params.bestOf() > 1 ? g.params.bestOf() : 1;
    }

    /** Logit rows {@link #build} adds for `count` tokens of `s` from its numComputed (same rules as build). */
    static int rowsFor(Sequence s, int count) {
        int rows = 0;
        if (wantsPromptLogprobs(s)) {
            int from = Math.max(s.numComputed, s.group.promptLogprobs.size()), to = Math.min(s.numComputed + count, s.promptLen - 1);
            rows += Math.max(0, to - from);
        }
        if (s.numComputed + count == s.tokens.size()) rows += samplesAtEnd(s);
        return rows;
    }

    /**
     * The most of `count` tokens of `s` whose logit rows fit in `rowBudget` (the step's logits buffer holds
     * max_logit_rows rows): prompt-logprob prefills are chunked by it; 0 when even one token does not fit.
     */
    static int fitRows(Sequence s, int count, int rowBudget) {
        int n = count;
        for (int over = rowsFor(s, n) - rowBudget; n > 0 && over > 0; over = rowsFor(s, n) - rowBudget) n -= over;
        return Math.max(0, n);
    }

    private StepBatch.SamplingRow addRow(int tokenIndex, Row target) {
        if (batch.numRows == batch.maxRows)
            throw new IllegalStateException("a step needs more than max_logit_rows " + batch.maxRows + " logit rows");
        int r = batch.numRows++;
        batch.rowTokenIndex[r] = tokenIndex;
        rows.add(target);
        StepBatch.SamplingRow row = batch.rows[r];
        row.reset();
        return row;
    }

    private void fillSampling(StepBatch.SamplingRow row, Sequence s, int child) {
        SamplingParams p = s.group.params;
        row.temperature = p.temperature();
        row.topK = p.topK() < 0 ? 0 : p.topK();
        row.topP = p.topP();
        row.minP = p.minP();
        row.repetitionPenalty = p.repetitionPenalty();
        row.presencePenalty = p.presencePenalty();
        row.frequencyPenalty = p.frequencyPenalty();
        row.seed = child == 0 ? s.seed : s.group.seedFor(child);
        row.rngStep = s.outputLen();
        row.numLogprobs = p.logprobs() == null ? 0 : p.logprobs();
        if (p.repetitionPenalty() != 1f) {
            row.promptTokens = s.tokens.raw();
            row.numPromptTokens = s.promptLen;
        }
        if (p.repetitionPenalty() != 1f || p.presencePenalty() != 0f || p.frequencyPenalty() != 0f) {
            row.outputTokens = s.tokens.raw();
            row.outputOffset = s.promptLen;
            row.numOutputTokens = s.outputLen();
        }
        boolean gateStops = s.outputLen() < p.minTokens();
        if (!p.logitBias().isEmpty() || gateStops) {
            List<Integer> ids = new ArrayList<>(p.logitBias().keySet());
            List<Float> vals = new ArrayList<>(p.logitBias().values());
            if (gateStops) {
                for (int id : stopIds(p)) { ids.add(id); vals.add(Float.NEGATIVE_INFINITY); }
            }
            row.numBias = ids.size();
            row.biasIds = new int[ids.size()];
            row.biasValues = new float[ids.size()];
            for (int i = 0; i < ids.size(); i++) { row.biasIds[i] = ids.get(i); row.biasValues[i] = vals.get(i); }
        }
        if (s.constraint != null) {
            int[] mask = new int[maskWords];
            s.constraint.fillAllowed(mask);
            row.allowedMask = mask;
        }
    }

    private List<Integer> stopIds(SamplingParams p) {
        List<Integer> ids = new ArrayList<>(p.stopTokenIds());
        if (!p.ignoreEos()) ids.addAll(tokenizer.eosIds());
        ids.removeIf(id -> id < 0 || id >= vocabSize);
        return ids;
    }

}
