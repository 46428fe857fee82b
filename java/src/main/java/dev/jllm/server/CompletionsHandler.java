package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.engine.RequestOutput;
import dev.jllm.engine.SamplingParams;
import dev.jllm.engine.TokenLogprob;
import dev.jllm.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** POST /v1/completions (§3, §6.2–§6.4). */
final class CompletionsHandler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ServerContext ctx;

    CompletionsHandler(ServerContext ctx) {
        this.ctx = ctx;
    }

    /** Per-choice accumulation. */
    private static final class Choice {
        final StringBuilder text = new StringBuilder();
        Logprobs.Completion logprobs;
        int tokens, sentLogprobs;
        String finishReason;
        Object stopReason;
        boolean echoed;
        boolean promptLogprobsSent;
    }

    /** The prompt(s) as token ids; text far over the context (PromptOptions) is refused before it is tokenized. */
    static List<int[]> prompts(JsonNode p, Tokenizer tok, boolean addSpecial, PromptOptions po, int maxModelLen) {
        List<int[]> out = new ArrayList<>();
        if (p.isTextual()) {
            if (p.asText().isEmpty()) throw ApiException.badRequest("The prompt is empty; provide a prompt or prompt token ids.", "prompt");
            po.checkLength(p.asText().length(), maxModelLen, "prompt", "prompt");
            out.add(tok.encode(p.asText(), addSpecial, false));
            return out;
        }
        if (!p.isArray()) throw ApiException.badRequest("'prompt' must be a string, a list of strings, a list of token ids or a list of lists of token ids.", "prompt");
        if (p.isEmpty()) throw ApiException.badRequest("please provide at least one prompt", "prompt");
        if (p.get(0).isIntegralNumber()) {
            out.add(tokenIds(p, tok));
            return out;
        }
        for (JsonNode x : p) {
            if (x.isTextual()) {
                if (x.asText().isEmpty()) throw ApiException.badRequest("The prompt is empty; provide a prompt or prompt token ids.", "prompt");
                po.checkLength(x.asText().length(), maxModelLen, "prompt", "prompt");
                out.add(tok.encode(x.asText(), addSpecial, false));
            } else if (x.isArray()) {
                out.add(tokenIds(x, tok));
            } else {
                throw ApiException.badRequest("'prompt' lists must hold only strings or only token-id lists.", "prompt");
            }
        }
        return out;
    }

    private static int[] tokenIds(JsonNode arr, Tokenizer tok) {
        if (arr.isEmpty()) throw ApiException.badRequest("A token-id prompt is empty.", "prompt");
        int[] ids = new int[arr.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode x = arr.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToInt()) throw ApiException.badRequest("Token-id prompts must hold only integers.", "prompt");
            ids[i] = x.asInt();
            if (ids[i] < 0 || ids[i] >= tok.vocabSize())
                throw ApiException.badRequest("Token id " + ids[i] + " is outside the vocabulary (0.." + (tok.vocabSize() - 1) + ").", "prompt");
        }
        return ids;
    }

    void handle(JsonNode body, HttpOut out) throws IOException, InterruptedException {
        // 1. parse: the body's fields, typed and range-checked (unknown ones logged)
        CompletionRequest r = CompletionRequest.parse(body, ctx);
        Generation.precheck(ctx.engine());
        // 2. tokenize (and truncate) the prompts
        List<int[]> prompts = prompts(r.prompt(), ctx.tokenizer(), r.addSpecialTokens(), ctx.prompts(), ctx.maxModelLen());
        if (r.truncate() != null) prompts.replaceAll(p -> p.length > r.truncate() ? Arrays.copyOfRange(p, p.length - r.truncate(), p.length) : p);
        // 3. sampling parameters per prompt, validated
        List<SamplingParams> params = params(r, prompts);
        // 4. submit and write
        write(r, prompts, params, out);
    }

    /** Each prompt's sampling parameters: the shared fields, logprobs, max_tokens against its length; validated. */
    private List<SamplingParams> params(CompletionRequest r, List<int[]> prompts) {
        SamplingParams.Builder b = SamplingFields.read(r.fields(), ctx.tokenizer(), ctx.defaults(), ctx.tokenIdLimit());
        SamplingFields.tokenFilter(r.fields(), ctx.tokenizer(), b, ctx.tokenIdLimit());
        b.logprobs = r.logprobs();
        b.promptLogprobs = r.promptLogprobs();
        List<SamplingParams> params = new ArrayList<>();
        for (int[] p : prompts) {
            if (r.echoOnly() && p.length >= ctx.maxModelLen())
                throw ApiException.badRequest("This model's maximum context length is " + ctx.maxModelLen() + " tokens; the prompt has " + p.length + ".");
            b.maxTokens = r.echoOnly() ? 1 : SamplingFields.maxTokens(r.maxTokens(), p.length, ctx.maxModelLen(), "prompt");
            params.add(SamplingFields.validate(b, prompts.size(), ctx.maxLogprobs()));
        }
        return params;
    }

    /** Submits the prompts and writes the reply: one JSON object, or server-sent events when streamed. */
    private void write(CompletionRequest req, List<int[]> prompts, List<SamplingParams> params, HttpOut out) throws IOException, InterruptedException {
        Tokenizer tok = ctx.tokenizer();
        String model = req.model();
        boolean stream = req.stream(), echo = req.echo(), echoOnly = req.echoOnly();
        StreamOptions so = req.streamOptions();
        SamplingParams p0 = params.get(0);
        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        int n = p0.n();
        Choice[] choices = new Choice[prompts.size() * n];
        for (int i = 0; i < choices.length; i++) {
            choices[i] = new Choice();
            if (req.logprobs() != null) choices[i].logprobs = new Logprobs.Completion();
        }
        int promptTokens = prompts.stream().mapToInt(x -> x.length).sum();
        ctx.logRequest(id, req.promptText(), promptTokens, p0);
        JsonNode[] promptLps = new JsonNode[prompts.size()];  // prompt_logprobs per prompt, when asked
        // each prompt's logprobs as the engine delivered them (once, complete)
        @SuppressWarnings("unchecked")
        List<TokenLogprob>[] rawPromptLps = new List[prompts.size()];
        boolean fakeStream = stream && (p0.bestOf() != n || p0.useBeamSearch());
        try (Generation gen = new Generation(ctx.engine(), id, prompts, params)) {
            out.watch(gen);
            HttpOut.Sse sse = stream && !fakeStream ? out.sse() : null;
            try {
                while (!gen.done()) {
                    Generation.Out o = gen.next(1000);
                    if (o == null) continue;
                    RequestOutput r = o.output();
                    if (r.error() != null && Responses.reportError(r, sse)) return;
                    int[] prompt = prompts.get(o.promptIndex());
                    if (r.promptLogprobs() != null) rawPromptLps[o.promptIndex()] = r.promptLogprobs();
                    if (req.returnPromptLogprobs() && r.promptLogprobs() != null)
                        promptLps[o.promptIndex()] = Logprobs.prompt(tok, prompt, r.promptLogprobs(), p0.promptLogprobs());
                    for (RequestOutput.SeqDelta d : r.seqs()) {
                        int ci = o.promptIndex() * n + d.index();
                        Choice c = choices[ci];
                        int before = c.text.length();
                        // echo with logprobs waits for the prompt's logprobs: a long prompt's first outputs (its
                        // chunks) carry neither them nor tokens
                        boolean lpsPending = c.logprobs != null && p0.promptLogprobs() != null && rawPromptLps[o.promptIndex()] == null;
                        if (echo && !c.echoed && !lpsPending) {
                            c.echoed = true;
                            String ptext = tok.decode(prompt, 0, prompt.length, true);
                            c.text.append(ptext);
                            List<TokenLogprob> plps = rawPromptLps[o.promptIndex()];
                            if (c.logprobs != null && plps != null) addPromptLogprobs(c, prompt, ptext, plps, tok);
                        }
                        if (!echoOnly) {
                            c.text.append(d.text());
                            c.tokens = d.outputTokens();
                            if (c.logprobs != null && d.logprobs() != null) {
                                // a delta may hold several tokens (a character or stop string held back): each starts
                                // after the ones before it, as vLLM counts text_offset, never past the text's end
                                int offset = c.text.length() - d.text().length();
                                for (TokenLogprob lp : d.logprobs()) {
                                    c.logprobs.add(tok, lp, Math.min(offset, c.text.length()));
                                    offset += tok.tokenText(lp.tokenId()).length();
                                }
                            }
                        }
                        if (d.finished()) {
                            c.finishReason = d.finishReason();
                            c.stopReason = d.stopReason();
                        }
                        if (sse != null) {
                            String delta = c.text.substring(before);
                            JsonNode plp = c.promptLogprobsSent ? null : promptLps[o.promptIndex()];
                            if (delta.isEmpty() && !d.finished() && (c.logprobs == null || c.logprobs.size() == c.sentLogprobs) && plp == null) continue;
                            ObjectNode chunk = JSON.createObjectNode();
                            chunk.put("id", id).put("object", "text_completion").put("created", created).put("model", model);
                            ObjectNode ch = chunk.putArray("choices").addObject();
                            ch.put("index", ci).put("text", delta);
                            if (c.logprobs != null) {
                                ch.set("logprobs", c.logprobs.since(c.sentLogprobs));
                                c.sentLogprobs = c.logprobs.size();
                            } else {
                                ch.putNull("logprobs");
                            }
                            Responses.putFinish(ch, d.finished() ? c.finishReason : null, d.finished() ? c.stopReason : null);
                            if (plp != null) {  // a choice's first chunk carries the prompt's logprobs
                                ch.set("prompt_logprobs", plp);
                                c.promptLogprobsSent = true;
                            }
                            // per-chunk usage only with continuous_usage_stats (OpenAI's completion chunks have none)
                            if (so.continuous()) chunk.set("usage", Responses.usage(prompt.length, c.tokens));
                            sse.event(JSON.writeValueAsString(chunk));
                        }
                    }
                }
                int completionTokens = 0;
                for (Choice c : choices) completionTokens += c.tokens;
                if (sse != null) {
                    if (so.includeUsage())
                        sse.event(JSON.writeValueAsString(Responses.usageChunk(id, "text_completion", created, model, promptTokens, completionTokens)));
                    sse.event("[DONE]");
                    return;
                }
                ObjectNode resp = JSON.createObjectNode();
                resp.put("id", id).put("object", "text_completion").put("created", created).put("model", model);
                ArrayNode arr = resp.putArray("choices");
                for (int i = 0; i < choices.length; i++) {
                    ObjectNode ch = arr.addObject();
                    ch.put("index", i).put("text", choices[i].text.toString());
                    if (choices[i].logprobs != null) ch.set("logprobs", choices[i].logprobs.node);
                    else ch.putNull("logprobs");
                    Responses.putFinish(ch, choices[i].finishReason, choices[i].stopReason);
                    if (req.returnPromptLogprobs()) ch.set("prompt_logprobs", promptLps[i / n]);
                }
                resp.set("usage", Responses.usage(promptTokens, completionTokens));
                Responses.send(out, resp, fakeStream);
            } finally {
                if (sse != null) sse.close();
            }
        }
    }

    /** echo + logprobs: the prompt's entries (the first has no logprob); ptext: the echoed text, decode(prompt). */
    private static void addPromptLogprobs(Choice c, int[] prompt, String ptext, List<TokenLogprob> lps, Tokenizer tok) {
        int[] offsets = textOffsets(tok, prompt, ptext.length());
        c.logprobs.addNull(tok, prompt[0], offsets[0]);
        for (int i = 0; i < lps.size() && i + 1 < prompt.length; i++) c.logprobs.add(tok, lps.get(i), offsets[i + 1]);
    }

    /**
     * Where each token's text starts in decode(ids, skip special) (length textLen), as vLLM's text_offset: the text
     * decoded before it. Special tokens (BOS), absent from the text, and a byte token whose character is not yet
     * complete start where the text goes on, so offsets never go backwards. Decoded incrementally over a short
     * window (diff of two decodes from the same start, as the engine's detokenizer) so that leading spaces stay.
     */
    static int[] textOffsets(Tokenizer tok, int[] ids, int textLen) {
        int[] out = new int[ids.length];
        int prefix = 0, read = 0, emitted = 0;
        String prefixText = "";
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.min(emitted, textLen);
            String full = tok.decode(ids, prefix, i + 1, true);
            if (full.length() <= prefixText.length() || full.endsWith("\uFFFD")) continue;  // nothing new, or a character still open
            emitted += full.length() - prefixText.length();
            if (i + 1 - prefix > 24) {  // move the window's start to the last emitted boundary
                prefix = read;
                prefixText = tok.decode(ids, prefix, i + 1, true);
            } else {
                prefixText = full;
            }
            read = i + 1;
        }
        return out;
    }
}
