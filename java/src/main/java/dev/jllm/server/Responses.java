package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** Pieces of response objects both completion endpoints write. */
final class Responses {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Responses() {}

    static void putFinish(ObjectNode ch, String finishReason, Object stopReason) {
        if (finishReason == null) ch.putNull("finish_reason");
        else ch.put("finish_reason", finishReason);
        if (stopReason == null) ch.putNull("stop_reason");
        else if (stopReason instanceof Integer i) ch.put("stop_reason", i);
        else ch.put("stop_reason", stopReason.toString());
    }

    static ObjectNode usage(int prompt, int completion) {
        ObjectNode u = JSON.createObjectNode();
        u.put("prompt_tokens", prompt).put("total_tokens", prompt + completion).put("completion_tokens", completion);
        return u;
    }

    static ObjectNode errorEvent(String message, int status) {
        ObjectNode e = JSON.createObjectNode();
        ObjectNode err = e.putObject("error");
        err.put("message", message).put("type", status >= 500 ? "InternalServerError" : "BadRequestError").putNull("param").put("code", String.valueOf(status));
        return e;
    }

    /**
     * An engine error for a request: after the stream has started, an error event and [DONE] (returns true, the
     * handler stops); before, an ApiException with the engine's status.
     */
    static boolean reportError(dev.jllm.engine.RequestOutput r, HttpOut.Sse sse) throws IOException {
        if (sse == null)
            throw new ApiException(r.errorStatus(), r.errorStatus() >= 500 ? "InternalServerError" : "BadRequestError", r.error(), null);
        sse.event(JSON.writeValueAsString(errorEvent(r.error(), r.errorStatus())));
        sse.event("[DONE]");
        return true;
    }

    /** The whole response as JSON, or, for a "fake stream" (best_of != n, beam search), as one SSE event. */
    static void send(HttpOut out, ObjectNode resp, boolean fakeStream) throws IOException {
        if (!fakeStream) {
            out.json(200, resp);
            return;
        }
        try (HttpOut.Sse one = out.sse()) {
            one.event(JSON.writeValueAsString(resp));
            one.event("[DONE]");
        }
    }

    /**
     * A chat completion generated whole (best_of > n, beam search: the output is chosen at the end) as the stream a
     * client asked for: one chat.completion.chunk whose choices carry the messages as deltas, then the usage chunk
     * when include_usage, then [DONE] — the shape every OpenAI SDK's stream reader expects.
     */
    static void sendChatAsChunks(HttpOut out, ObjectNode resp, boolean includeUsage) throws IOException {
        ObjectNode chunk = resp.deepCopy();
        chunk.put("object", "chat.completion.chunk");
        ObjectNode usage = (ObjectNode) chunk.remove("usage");
        for (JsonNode c : chunk.withArray("choices")) {
            ObjectNode choice = (ObjectNode) c;
            ObjectNode delta = (ObjectNode) choice.remove("message");
            JsonNode calls = delta.path("tool_calls");
            if (calls.isArray() && !calls.isEmpty()) {
                int i = 0;
                for (JsonNode call : calls) ((ObjectNode) call).put("index", i++);  // deltas index their calls
            } else {
                delta.remove("tool_calls");
            }
            choice.set("delta", delta);
        }
        try (HttpOut.Sse sse = out.sse()) {
            sse.event(JSON.writeValueAsString(chunk));
            if (includeUsage)
                sse.event(JSON.writeValueAsString(usageChunk(resp.path("id").asText(), "chat.completion.chunk", resp.path("created").asLong(),
                        resp.path("model").asText(), usage.path("prompt_tokens").asInt(), usage.path("completion_tokens").asInt())));
            sse.event("[DONE]");
        }
    }

    /** The last chunk of a stream with include_usage: no choices, the totals. */
    static ObjectNode usageChunk(String id, String object, long created, String model, int prompt, int completion) {
        ObjectNode last = JSON.createObjectNode();
        last.put("id", id).put("object", object).put("created", created).put("model", model);
        last.putArray("choices");
        last.set("usage", usage(prompt, completion));
        return last;
    }
}
