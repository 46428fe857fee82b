package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Beam search on the real model. The reported cumulative logprob of each returned beam is checked by scoring its
 * tokens again as a prompt (prompt_logprobs), which also catches KV-cache corruption in forked beams.
 */
class BeamSearchTest extends EngineGoldenTest {
    static List<RequestOutput.SeqDelta> beam(int[] prompt, int width, int n, int maxTokens, String early) throws Exception {
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.useBeamSearch = true;
        b.bestOf = width;
        b.n = n;
        b.maxTokens = maxTokens;
        b.earlyStopping = early;
        SamplingParams p = b.build();
        p.validate(20);
        RequestStream s = engine.submit("beam-" + System.nanoTime(), prompt, p);
        RequestOutput o;
        int outputs = 0;
        do {
            o = s.poll(60, TimeUnit.SECONDS);
            outputs++;
        } while (!o.finished());
        assertEquals(1, outputs, "beam search answers once");
        return o.seqs();
    }

    static double rescore(int[] prompt, int[] out) throws Exception {
        int[] all = new int[prompt.length + out.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(out, 0, all, prompt.length, out.length);
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.maxTokens = 1;
        b.promptLogprobs = 0;
        RequestStream s = engine.submit("score-" + System.nanoTime(), all, b.build());
        List<TokenLogprob> lps = null;
        RequestOutput o;
        do {
            o = s.poll(60, TimeUnit.SECONDS);
            if (o.promptLogprobs() != null) lps = o.promptLogprobs();
        } while (!o.finished());
        double sum = 0;
        for (int i = prompt.length - 1; i < all.length - 1; i++) sum += lps.get(i).logprob();
        return sum;
    }

    @Test
    void beamsAreRankedAndTheirScoresAreExact() throws Exception {
        int[] prompt = tok.encode("Once upon a time", true, false);
        List<RequestOutput.SeqDelta> out = beam(prompt, 4, 3, 12, "false");
        assertEquals(3, out.size());
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            RequestOutput.SeqDelta d = out.get(i);
            assertEquals(i, d.index());
            assertEquals(d.cumulativeLogprob(), rescore(prompt, d.tokenIds()), 1e-3, "beam " + i + " cumulative logprob");
            texts.add(d.text());
        }
        assertNotEquals(texts.get(0), texts.get(1));
        // ranked by length-normalised score, best first
        for (int i = 0; i + 1 < out.size(); i++) {
            double a = out.get(i).cumulativeLogprob() / (prompt.length + out.get(i).tokenIds().length);
            double b = out.get(i + 1).cumulativeLogprob() / (prompt.length + out.get(i + 1).tokenIds().length);
            assertTrue(a >= b - 1e-9);
        }
        // deterministic, also with other work running
        Thread other = Thread.ofVirtual().start(() -> {
            try {
                run(prompt, greedy(40));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        List<RequestOutput.SeqDelta> again = beam(prompt, 4, 3, 12, "false");
        other.join();
        for (int i = 0; i < 3; i++) assertEquals(out.get(i).text(), again.get(i).text());
    }

    @Test
    void beamSearchFindsAtLeastTheGreedyScore() throws Exception {
        int[] prompt = tok.encode("The little dog", true, false);
        List<RequestOutput.SeqDelta> out = beam(prompt, 4, 1, 10, "never");
        Done g = run(prompt, greedy(10));
        double greedyScore = rescore(prompt, g.tokens().stream().mapToInt(i -> i).toArray());
        assertTrue(out.get(0).cumulativeLogprob() >= greedyScore - 1e-4,
                out.get(0).cumulativeLogprob() + " < greedy " + greedyScore);
    }

    @Test
    void eachBeamCarriesItsTokensLogprobsSummingToItsScore() throws Exception {
        int[] prompt = tok.encode("Once upon a time", true, false);
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.useBeamSearch = true;
        b.bestOf = 3;
        b.n = 3;
        b.maxTokens = 10;
        b.logprobs = 2;
        SamplingParams p = b.build();
        p.validate(20);
        RequestStream s = engine.submit("beam-lp-" + System.nanoTime(), prompt, p);
        RequestOutput o;
        do o = s.poll(60, TimeUnit.SECONDS); while (!o.finished());
        assertEquals(3, o.seqs().size());
        for (RequestOutput.SeqDelta d : o.seqs()) {
            assertEquals(d.tokenIds().length, d.logprobs().size(), "one entry per output token, beam " + d.index());
            double sum = 0;
            for (int i = 0; i < d.tokenIds().length; i++) {
                TokenLogprob lp = d.logprobs().get(i);
                assertEquals(d.tokenIds()[i], lp.tokenId());
                assertEquals(2, lp.topIds().length);
                assertTrue(lp.topLogprobs()[0] >= lp.logprob(), "the likeliest first");
                sum += lp.logprob();
            }
            assertEquals(d.cumulativeLogprob(), sum, 1e-4, "beam " + d.index() + ": its tokens' logprobs add up to its score");
        }
    }

    @Test
    void invalidBeamParametersAreRefused() {
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.useBeamSearch = true;
        b.bestOf = 1;
        assertThrows(IllegalArgumentException.class, () -> b.build().validate(20));
        b.bestOf = 11;
        assertThrows(IllegalArgumentException.class, () -> b.build().validate(20));
        b.bestOf = 2;
        b.temperature = 0.5f;
        assertThrows(IllegalArgumentException.class, () -> b.build().validate(20));
        SamplingParams.Builder c = SamplingParams.builder();
        c.lengthPenalty = 0.5f;
        assertThrows(IllegalArgumentException.class, () -> c.build().validate(20));
    }
}
