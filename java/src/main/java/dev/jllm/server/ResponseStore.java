package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Responses API's `store`: finished responses kept in memory for GET /v1/responses/{id} and previous_response_id,
 * at most `capacity` of them; past that the least recently used is forgotten (an LRU, --responses-store-size). A
 * capacity of 0 keeps nothing. Responses live only as long as the server process.
 */
final class ResponseStore {
    /**
     * One stored response.
     *
     * @param response      the Response object as it was returned (status completed or incomplete)
     * @param conversation  the input items the model saw, in order, without `instructions`: the previous response's
     *                      conversation and output (when previous_response_id was given), then this request's input
     */
    record Stored(ObjectNode response, ArrayNode conversation) {
        /** The items a follow-up with previous_response_id = this id continues from: conversation, then output. */
        ArrayNode continuation() {
            ArrayNode items = conversation.arrayNode();  // shares the (never modified) item nodes
            items.addAll(conversation);
            items.addAll((ArrayNode) response.get("output"));
            return items;
        }
    }

    static final int DEFAULT_CAPACITY = 100;

    private final int capacity;
    private final LinkedHashMap<String, Stored> map;

    ResponseStore(int capacity) {
        if (capacity < 0) throw new IllegalArgumentException("the responses store size must be at least 0, got " + capacity);
        this.capacity = capacity;
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Stored> eldest) {
                return size() > ResponseStore.this.capacity;
            }
        };
    }

    int capacity() {
        return capacity;
    }

    synchronized void put(Stored s) {
        if (capacity > 0) map.put(s.response().get("id").asText(), s);
    }

    /** The stored response, or null; a read counts as a use. */
    synchronized Stored get(String id) {
        return map.get(id);
    }

    /**
     * The item with this id in any stored response (its output, then its conversation), for `item_reference` input
     * items; null when none has it. A linear search: at most capacity responses of a few items each.
     */
    synchronized JsonNode item(String id) {
        for (Stored s : map.values())  // iterating does not count as a use
            for (JsonNode items : new JsonNode[] {s.response().get("output"), s.conversation()})
                for (JsonNode item : items)
                    if (id.equals(item.path("id").asText(null))) return item;
        return null;
    }

    synchronized boolean remove(String id) {
        return map.remove(id) != null;
    }

    synchronized int size() {
        return map.size();
    }
}
