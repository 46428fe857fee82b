package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A POST /v1/completions body, read once (OpenAI's field names, vLLM's extras): what the handler itself uses, typed
 * and range-checked. The sampling fields are read and validated by SamplingFields, as for every endpoint.
 *
 * @param fields           the body, for the shared reads
 * @param model            the served name to echo
 * @param prompt           a string, a list of strings, a list of token ids or a list of lists of token ids
 * @param truncate         truncate_prompt_tokens: keep the last this many prompt tokens; null: all
 * @param logprobs         logprobs of the sampled tokens and this many alternatives; null: none
 * @param promptLogprobs   logprobs of the prompt's tokens (echo with logprobs asks for them too)
 * @param maxTokens        max_completion_tokens, else max_tokens, else 16; null: fill the context
 * @param returnPromptLogprobs prompt_logprobs was asked for: each choice carries them (vLLM's shape)
 */
record CompletionRequest(Fields fields, String model, boolean stream, boolean echo, StreamOptions streamOptions,
                         JsonNode prompt, boolean addSpecialTokens, Integer truncate, Integer logprobs,
                         Integer promptLogprobs, Integer maxTokens, boolean returnPromptLogprobs) {
    static final Set<String> KNOWN = new HashSet<>(SamplingFields.COMMON);

    static {
        KNOWN.addAll(List.of("prompt", "suffix", "truncate_prompt_tokens", "prompt_logprobs"));
    }

    static CompletionRequest parse(JsonNode body, ServerContext ctx) {
        Fields f = new Fields(body);
        f.logUnknown(KNOWN, "/v1/completions");
        String model = ctx.resolveModel(f.string("model", null));
        if (f.has("suffix")) throw ApiException.badRequest("suffix is not currently supported", "suffix");
        boolean stream = f.bool("stream", false), echo = f.bool("echo", false);
        StreamOptions so = StreamOptions.read(f, stream);
        if (f.raw("prompt") == null) throw ApiException.badRequest("'prompt' is required.", "prompt");
        Integer truncate = Fields.atLeastOne(f.integer("truncate_prompt_tokens", null), "truncate_prompt_tokens");
        Integer logprobs = f.integer("logprobs", null), promptLogprobs = f.integer("prompt_logprobs", null);
        return new CompletionRequest(f, model, stream, echo, so, f.raw("prompt"), f.bool("add_special_tokens", true), truncate,
                logprobs, echo && logprobs != null ? logprobs : promptLogprobs, SamplingFields.requestedMaxTokens(f, 16),
                promptLogprobs != null);
    }

    /** echo with max_tokens 0: the prompt alone, nothing generated (vLLM). */
    boolean echoOnly() {
        return echo && maxTokens != null && maxTokens == 0;
    }

    /** The prompt as the log line shows it: the text, or the JSON of a list. */
    String promptText() {
        return prompt.isTextual() ? prompt.asText() : prompt.toString();
    }
}
