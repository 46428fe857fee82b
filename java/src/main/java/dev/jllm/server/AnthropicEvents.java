package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Anthropic's wire shapes: the error body {"type":"error","error":{"type","message"}} and the Messages stream's named
 * SSE events (message_start, content_block_start/delta/stop, ping, message_delta, message_stop, error).
 */
final class AnthropicEvents {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AnthropicEvents() {}

    /** Anthropic's error type for an HTTP status (its errors page; other 4xx are invalid_request_error). */
    static String errorType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    static ObjectNode error(int status, String message) {
        ObjectNode body = JSON.createObjectNode().put("type", "error");
        body.putObject("error").put("type", errorType(status)).put("message", message);
        return body;
    }

    /** Writes the events of one Messages stream, in order; `index` is the open content block's. */
    static final class Stream {
        private final HttpOut.Sse sse;
        private int index = -1;
        private boolean open;

        Stream(HttpOut.Sse sse) {
            this.sse = sse;
        }

        private void send(ObjectNode data) throws IOException {
            sse.event(data.get("type").asText(), JSON.writeValueAsString(data));
        }

        /** message_start (the message with no content, input usage) and a ping. */
        void start(ObjectNode message) throws IOException {
            ObjectNode e = JSON.createObjectNode().put("type", "message_start");
            e.set("message", message);
            send(e);
            send(JSON.createObjectNode().put("type", "ping"));
        }

        /** Closes the open block (if any) and opens the next with its empty shape (a text or a tool_use block). */
        void startBlock(ObjectNode block) throws IOException {
            stopBlock();
            index++;
            ObjectNode e = JSON.createObjectNode().put("type", "content_block_start").put("index", index);
            e.set("content_block", block);
            send(e);
            open = true;
        }

        void textDelta(String text) throws IOException {
            delta(JSON.createObjectNode().put("type", "text_delta").put("text", text));
        }

        void jsonDelta(String partialJson) throws IOException {
            delta(JSON.createObjectNode().put("type", "input_json_delta").put("partial_json", partialJson));
        }

        private void delta(ObjectNode d) throws IOException {
            ObjectNode e = JSON.createObjectNode().put("type", "content_block_delta").put("index", index);
            e.set("delta", d);
            send(e);
        }

        void stopBlock() throws IOException {
            if (!open) return;
            send(JSON.createObjectNode().put("type", "content_block_stop").put("index", index));
            open = false;
        }

        /** Closes the open block, then message_delta (stop reason, cumulative usage) and message_stop. */
        void finish(String stopReason, String stopSequence, int inputTokens, int outputTokens) throws IOException {
            stopBlock();
            ObjectNode e = JSON.createObjectNode().put("type", "message_delta");
            ObjectNode d = e.putObject("delta").put("stop_reason", stopReason);
            if (stopSequence == null) d.putNull("stop_sequence");
            else d.put("stop_sequence", stopSequence);
            e.set("usage", usage(inputTokens, outputTokens));
            send(e);
            send(JSON.createObjectNode().put("type", "message_stop"));
        }

        /** An error after the stream started (an engine failure): event: error, then the stream ends. */
        void error(int status, String message) throws IOException {
            send(AnthropicEvents.error(status, message));
        }
    }

    static ObjectNode usage(int inputTokens, int outputTokens) {
        return JSON.createObjectNode().put("input_tokens", inputTokens).put("output_tokens", outputTokens);
    }

    /**
     * A tool_use block's input from a call's arguments text: the object it spells, or, cut by max_tokens, the part of
     * it written so far (PartialJson), so a cut call still shows what was generated; {} when nothing of it was.
     */
    static JsonNode input(String arguments) {
        return PartialJson.object(arguments);
    }
}
