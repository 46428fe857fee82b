package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/** The response side of one HTTP exchange, as the handlers see it (Helidon adapts it in OpenAiServer). */
interface HttpOut {
    void json(int status, JsonNode body);

    /**
     * Ties a generation to this client: its requests are aborted when the client disconnects (streaming or not), and
     * when more than the stream backlog of outputs pile up unread (a client that does not read).
     */
    void watch(Generation gen);

    /** Starts a text/event-stream response; frames are written as "data: ...\n\n". */
    Sse sse() throws IOException;

    interface Sse extends AutoCloseable {
        /** Writes one event and flushes; IOException when the client went away. */
        void event(String data) throws IOException;

        /** Writes one named event ("event: name\ndata: ...\n\n", as Anthropic's Messages stream) and flushes. */
        void event(String name, String data) throws IOException;

        @Override
        void close() throws IOException;
    }
}
