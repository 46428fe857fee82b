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
        if (g.promptLogprobs != null && s.index == 0 && !g.forked) {
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
            int samples = (!beam && !g.forked && g.params.bestOf() > 1 && s.index == 0 && s.outputLen() == 0) ? g.params.bestOf() : 1;
            for (int c = 0; c < samples; c++) {
                StepBatch.SamplingRow row = addRow(batch.numTokens - 1, new Row(s, false, c));
                fillSampling(row, s, c);
                if (beam) row.numLogprobs = 2 * g.params.bestOf();
            }
        }
    }

    private StepBatch.SamplingRow addRow(int tokenIndex, Row target) {
        if (batch.numRows >= batch.maxRows) throw new IllegalStateException("the step holds at most " + batch.maxRows + " sampling rows");
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
