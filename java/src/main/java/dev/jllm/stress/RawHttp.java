package dev.jllm.stress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 over a plain socket, so the stress suite can send what a well-behaved client never would (broken
 * framing, invalid UTF-8, slow headers) and see exactly what comes back, including "nothing" and "closed".
 */
final class RawHttp {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RawHttp() {}

    /** What came back: status -1 = the connection closed with no response; -2 = no response within the timeout. */
    record Reply(int status, String head, byte[] body, long millis) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                return null;
            }
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** OpenAI's error shape: {"error": {"message": str, "type": str, ...}} with a non-blank message. */
        boolean openAiError() {
            JsonNode j = json();
            if (j == null) return false;
            JsonNode e = j.path("error");
            return e.path("message").isTextual() && !e.path("message").asText().isBlank() && e.path("type").isTextual();
        }

        String header(String name) {
            for (String line : head.split("\r\n")) {
                int c = line.indexOf(':');
                if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) return line.substring(c + 1).trim();
            }
            return null;
        }
    }

    /** A POST of `body` as JSON with the usual headers (Connection: close so the reply ends with the socket). */
    static byte[] post(String path, String key, byte[] body) {
        String head = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + (key == null ? "" : "Authorization: Bearer " + key + "\r\n")
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        return concat(head.getBytes(StandardCharsets.ISO_8859_1), body);
    }

    static byte[] post(String path, String key, String body) {
        return post(path, key, body.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Sends `request` and reads until the server closes the connection or `timeoutMs` passes. */
    static Reply exchange(int port, byte[] request, int timeoutMs) {
        long t0 = System.nanoTime();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(timeoutMs);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request);
                out.flush();
                s.shutdownOutput();
            } catch (IOException e) {
                // the server may answer and close before reading everything (e.g. 413): read what it said
            }
            return read(s.getInputStream(), t0, timeoutMs);
        } catch (IOException e) {
            return new Reply(-1, e.toString(), new byte[0], (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** Reads one whole reply up to EOF (the request asked for Connection: close), bounded by the deadline. */
    static Reply read(InputStream in, long t0, int timeoutMs) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        long deadline = t0 + timeoutMs * 1_000_000L;
        try {
            for (int n; (n = in.read(chunk)) >= 0; ) {
                buf.write(chunk, 0, n);
                if (System.nanoTime() > deadline) return parse(buf.toByteArray(), -2, t0);
            }
        } catch (SocketTimeoutException e) {
            return parse(buf.toByteArray(), -2, t0);
        } catch (IOException e) {
            // connection reset after a complete answer still counts as that answer
        }
        return parse(buf.toByteArray(), -1, t0);
    }

    private static Reply parse(byte[] raw, int noReply, long t0) {
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String all = new String(raw, StandardCharsets.ISO_8859_1);
        int end = all.indexOf("\r\n\r\n");
        if (!all.startsWith("HTTP/") || end < 0) return new Reply(noReply, all, new byte[0], ms);
        String head = all.substring(0, end);
        int status;
        try {
            status = Integer.parseInt(head.substring(9, 12));
        } catch (RuntimeException e) {
            return new Reply(noReply, head, new byte[0], ms);
        }
        byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        if (head.toLowerCase().contains("transfer-encoding: chunked")) body = dechunk(body);
        return new Reply(status, head, body, ms);
    }

    /** Chunked transfer coding → the payload (what arrived of it). */
    static byte[] dechunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < b.length) {
            int eol = indexOf(b, i);
            if (eol < 0) break;
            String size = new String(b, i, eol - i, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int n;
            try {
                n = Integer.parseInt(size, 16);
            } catch (NumberFormatException e) {
                break;
            }
            if (n == 0) break;
            int start = eol + 2;
            out.write(b, start, Math.min(n, b.length - start));
            i = start + n + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) if (b[i] == '\r' && b[i + 1] == '\n') return i;
        return -1;
    }
}
