package dev.jllm.server;

import dev.jllm.engine.Engine;
import dev.jllm.tokenizer.ChatTemplate;
import dev.jllm.tokenizer.Tokenizer;
import java.util.List;
import java.util.Set;

/** What every handler needs: the engine, the tokenizer, names and limits. Immutable after start-up. */
public record ServerContext(Engine engine, Tokenizer tokenizer, List<String> servedNames, String responseRole,
                            int maxLogprobs, ChatTemplate chatTemplate, Set<String> apiKeys, int maxLogLen,
                            boolean logRequests, long startedAt, ChatTemplate toolUseTemplate,
                            SamplingDefaults defaults, String rootPath, String toolParser, PromptOptions prompts) {

    /** Default prompt options: render limits 2 s / 8 Mi chars, request chat templates refused. */
    public ServerContext(Engine engine, Tokenizer tokenizer, List<String> servedNames, String responseRole,
                         int maxLogprobs, ChatTemplate chatTemplate, Set<String> apiKeys, int maxLogLen,
                         boolean logRequests, long startedAt, ChatTemplate toolUseTemplate,
                         SamplingDefaults defaults, String rootPath, String toolParser) {
        this(engine, tokenizer, servedNames, responseRole, maxLogprobs, chatTemplate, apiKeys, maxLogLen, logRequests, startedAt,
                toolUseTemplate, defaults, rootPath, toolParser,
                PromptOptions.of(tokenizer, dev.jllm.tokenizer.RenderLimits.DEFAULT, false));
    }

    /** The template for a request: the model's "tool_use" template when tools are given and it has one. */
    ChatTemplate templateFor(boolean hasTools) {
        return hasTools && toolUseTemplate != null ? toolUseTemplate : chatTemplate;
    }

    public int maxModelLen() {
        return engine.maxModelLen();
    }

    /** Checks `model` against the served names (404 when unknown) and returns the name to echo. */
    String resolveModel(String requested) {
        if (requested == null) return servedNames.get(0);
        if (!servedNames.contains(requested)) throw ApiException.notFound("The model `" + requested + "` does not exist.");
        return requested;
    }

    private static final java.util.logging.Logger REQUESTS = java.util.logging.Logger.getLogger("jllm.requests");

    /** Logs an accepted request (vLLM's "Received request" line) unless --disable-log-requests. */
    void logRequest(String id, String prompt, int promptTokens, Object params) {
        if (!logRequests) return;
        String shown = prompt == null ? "" : (maxLogLen > 0 && prompt.length() > maxLogLen ? prompt.substring(0, maxLogLen) + "…" : prompt);
        REQUESTS.info("Received request " + id + ": prompt: " + com.fasterxml.jackson.databind.node.TextNode.valueOf(shown)
                + ", prompt tokens: " + promptTokens + ", params: " + LogText.escape(String.valueOf(params), 4096));
    }

    /**
     * Token ids a request may name (prompts, logit_bias, allowed_token_ids, stop_token_ids): both the tokenizer and the
     * model have them. A tokenizer may hold a few more ids than the model's vocabulary (Gemma 3's image token).
     */
    public int tokenIdLimit() {
        return engine == null ? tokenizer.vocabSize() : Math.min(tokenizer.vocabSize(), engine.vocabSize());
    }
}
