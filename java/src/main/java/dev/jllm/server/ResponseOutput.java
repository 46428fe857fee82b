package dev.jllm.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.UUID;

/**
 * The output items of one Responses API response as the model produces them: a `message` item (one output_text part)
 * and `function_call` items. With a stream, each step also goes out as the Responses SSE events, in OpenAI's order:
 *
 * <pre>
 * message:       output_item.added → content_part.added → output_text.delta* → output_text.done
 *                → content_part.done → output_item.done
 * function_call: output_item.added → function_call_arguments.delta* → function_call_arguments.done → output_item.done
 * </pre>
 *
 * Frames are "event: {type}\ndata: {json}\n\n"; every event carries its type and a sequence_number counting from 0.
 * One item is open at a time; text() and arguments() open the item they need, close() finishes it.
 */
final class ResponseOutput {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpOut.Sse sse;  // null: no stream, items are only collected
    private int sequence;
    final ArrayNode items = JSON.createArrayNode();
    private ObjectNode open;  // the item being produced, or null
    private final StringBuilder openText = new StringBuilder();

    ResponseOutput(HttpOut.Sse sse) {
        this.sse = sse;
    }

    static String newId(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "");
    }

    /** Sends one event: {"type": type, ...fields, "sequence_number": n}. */
    void event(String type, ObjectNode fields) throws IOException {
        if (sse == null) return;
        ObjectNode e = JSON.createObjectNode().put("type", type);
        e.setAll(fields);
        e.put("sequence_number", sequence++);
        sse.event(type, JSON.writeValueAsString(e));
    }

    private ObjectNode at() {
        return JSON.createObjectNode().put("item_id", open.get("id").asText()).put("output_index", items.size());
    }

    private static ObjectNode textPart(String text) {
        ObjectNode p = JSON.createObjectNode().put("type", "output_text").put("text", text);
        p.putArray("annotations");
        p.putArray("logprobs");
        return p;
    }

    /** Appends assistant text, opening the message item first if none is open. */
    void text(String delta) throws IOException {
        if (open != null && !open.get("type").asText().equals("message")) close("completed");
        if (open == null) {
            open = JSON.createObjectNode().put("id", newId("msg_")).put("type", "message").put("status", "in_progress").put("role", "assistant");
            open.putArray("content");
            event("response.output_item.added", JSON.createObjectNode().put("output_index", items.size()).set("item", open.deepCopy()));
            event("response.content_part.added", at().put("content_index", 0).set("part", textPart("")));
        }
        openText.append(delta);
        if (!delta.isEmpty()) {
            ObjectNode d = at().put("content_index", 0).put("delta", delta);
            d.putArray("logprobs");
            event("response.output_text.delta", d);
        }
    }

    /** Opens a function_call item (closing whatever was open). */
    void call(String callId, String name) throws IOException {
        if (open != null) close("completed");
        open = JSON.createObjectNode().put("id", newId("fc_")).put("type", "function_call").put("status", "in_progress")
                .put("call_id", callId).put("name", name).put("arguments", "");
        event("response.output_item.added", JSON.createObjectNode().put("output_index", items.size()).set("item", open.deepCopy()));
    }

    /** Appends to the open function_call item's arguments. */
    void arguments(String delta) throws IOException {
        openText.append(delta);
        if (!delta.isEmpty()) event("response.function_call_arguments.delta", at().put("delta", delta));
    }

    boolean isOpen() {
        return open != null;
    }

    /** Finishes the open item with status completed or incomplete (cut by max_output_tokens); no-op when none is open. */
    void close(String status) throws IOException {
        if (open == null) return;
        String text = openText.toString();
        if (open.get("type").asText().equals("message")) {
            ObjectNode done = at().put("content_index", 0).put("text", text);
            done.putArray("logprobs");
            event("response.output_text.done", done);
            event("response.content_part.done", at().put("content_index", 0).set("part", textPart(text)));
            open.withArray("content").add(textPart(text));
        } else {
            event("response.function_call_arguments.done", at().put("name", open.get("name").asText()).put("arguments", text));
            open.put("arguments", text);
        }
        open.put("status", status);
        event("response.output_item.done", JSON.createObjectNode().put("output_index", items.size()).set("item", open));
        items.add(open);
        open = null;
        openText.setLength(0);
    }
}
