package dev.jllm.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * HTTP/1.0 and 1.1 framing as HttpGate needs it (RFC 9112): request heads and bodies read strictly, with deadlines,
 * and responses relayed by their own framing. Nothing here trusts the client: every ambiguity is a {@link Refused}.
 */
final class HttpWire {
    static final int MAX_HEAD_BYTES = 64 * 1024, MAX_LINE = 8 * 1024;
    /** Below Helidon's 4096-byte request prologue limit, which answers 414 without a body or drops the connection. */
    static final int MAX_REQUEST_LINE = 4000;
    /**
     * The header lines of a request, CR LF included: Helidon refuses more than 16384 bytes of headers (a bare 400, or
     * for a POST often no reply at all), and the gate adds its own (Host, Content-Length, X-Jllm-Exchange,
     * Connection: about 130 bytes). Over this the gate answers 431 itself.
     */
    static final int MAX_HEADER_BYTES = 15 * 1024;

    private HttpWire() {}

    /** A request the gate answers itself (status + OpenAI error message), then closes the connection. */
    static final class Refused extends Exception {
        final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** No byte within the allowed time (SO_TIMEOUT expired). Buffered bytes are kept. */
    static final class Timeout extends IOException {
        Timeout() {
            super("read timed out", null);
        }
    }

    /** A parsed request head. contentLength -1: none; keepAlive: the connection may carry another request after it. */
    record Head(String method, String target, int minor, List<String[]> headers, long contentLength, boolean chunked,
                boolean keepAlive, boolean expectContinue) {}

    /** Buffered socket input whose reads time out (SO_TIMEOUT per read) without losing what was buffered. */
    static final class In {
        private final Socket socket;
        private final InputStream in;
        private byte[] buf = new byte[16 * 1024];
        private int pos, lim;

        In(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
        }

        boolean buffered() {
            return pos < lim;
        }

        int bufferedBytes() {
            return lim - pos;
        }

        /** Reads more bytes; -1 at EOF; Timeout when none came within millis (>= 1). */
        int fill(long millis) throws IOException {
            if (pos == lim) pos = lim = 0;
            if (lim == buf.length) {
                if (pos > 0) {
                    System.arraycopy(buf, pos, buf, 0, lim - pos);
                    lim -= pos;
                    pos = 0;
                } else {
                    buf = java.util.Arrays.copyOf(buf, buf.length * 2);
                }
            }
            socket.setSoTimeout(millis >= Integer.MAX_VALUE ? 0 : (int) Math.max(1, millis));  // 0: wait forever
            int n;
            try {
                n = in.read(buf, lim, buf.length - lim);
            } catch (SocketTimeoutException e) {
                throw new Timeout();
            }
            if (n > 0) lim += n;
            return n;
        }

        /** The next line without its CR LF (ISO-8859-1); null at EOF before any byte of it; deadline in System.nanoTime. */
        String line(long deadline, int max) throws IOException, Refused {
            return line(deadline, max, null);
        }

        /**
         * As line(deadline, max); tooLong non-null: a line over max bytes is refused with it however the bytes arrived
         * (else a line that came whole in one read passed where the same line in two reads was refused).
         */
        String line(long deadline, int max, Refused tooLong) throws IOException, Refused {
            int scanned = 0;  // bytes after pos known to hold no LF (fill() may move pos)
            while (true) {
                for (int i = pos + scanned; i < lim; i++) {
                    if (buf[i] == '\n') {
                        int end = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
                        if (tooLong != null && end - pos > max) throw tooLong;
                        String s = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1);
                        pos = i + 1;
                        if (s.indexOf('\r') >= 0) throw new Refused(400, "A bare CR in the request head.");
                        return s;
                    }
                }
                scanned = lim - pos;
                if (lim - pos > max + 1) throw tooLong != null ? tooLong : new Refused(431, "A request line or header exceeds " + max + " bytes.");
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) throw new Timeout();
                if (fill(left) < 0) {
                    if (pos == lim) return null;
                    throw new IOException("connection closed in the middle of a line");
                }
            }
        }

        /** Whatever is buffered, else one read (no timeout); -1 at EOF. */
        int drain(byte[] out) throws IOException {
            if (pos == lim && fill(Long.MAX_VALUE) < 0) return -1;
            int k = Math.min(out.length, lim - pos);
            System.arraycopy(buf, pos, out, 0, k);
            pos += k;
            return k;
        }

        /** Reads exactly n bytes into out; each wait for data may last silenceMillis. */
        void copy(long n, OutputStream out, long silenceMillis) throws IOException, Refused {
            while (n > 0) {
                if (pos == lim && fill(silenceMillis) < 0) throw new Refused(400, "The request body ended before its declared length.");
                int k = (int) Math.min(n, lim - pos);
                out.write(buf, pos, k);
                pos += k;
                n -= k;
            }
        }
    }

    // ---- request side ----

    /**
     * Reads one request head. Waits up to idleMillis for its first byte (returns null: close quietly), then the whole
     * head must arrive within headerMillis (else 408).
     */
    static Head readHead(In in, long idleMillis, long headerMillis) throws IOException, Refused {
        try {
            if (!in.buffered() && in.fill(idleMillis) < 0) return null;
        } catch (Timeout idle) {
            return null;
        }
        long deadline = System.nanoTime() + headerMillis * 1_000_000;
        try {
            // every size refused here, at any length and however the bytes arrive, before Helidon (which would not
            // answer in OpenAI's shape, or not at all) sees it
            String requestLine;
            Refused longLine = new Refused(414, "The request line exceeds " + MAX_REQUEST_LINE + " bytes: the path is too long.");
            do {  // RFC 9112 §2.2: ignore empty lines before the request line
                requestLine = in.line(deadline, MAX_REQUEST_LINE, longLine);
                if (requestLine == null) return null;
            } while (requestLine.isEmpty());
            List<String[]> headers = new ArrayList<>();
            Refused longHeader = new Refused(431, "A request header exceeds " + MAX_LINE + " bytes.");
            int total = 0;
            for (String l = in.line(deadline, MAX_LINE, longHeader); ; l = in.line(deadline, MAX_LINE, longHeader)) {
                if (l == null) throw new IOException("connection closed inside the request head");
                if (l.isEmpty()) break;
                total += l.length() + 2;
                if (total > MAX_HEADER_BYTES) throw new Refused(431, "The request headers exceed " + MAX_HEADER_BYTES + " bytes in all.");
                headers.add(header(l));
            }
            return head(requestLine, headers);
        } catch (Timeout t) {
            throw new Refused(408, "The request head did not arrive within " + headerMillis + " ms.");
        }
    }

    private static String[] header(String line) throws Refused {
        if (line.charAt(0) == ' ' || line.charAt(0) == '\t') throw new Refused(400, "Folded header lines are not allowed.");
        int colon = line.indexOf(':');
        if (colon <= 0) throw new Refused(400, "A header line has no name and colon.");
        String name = line.substring(0, colon);
        for (int i = 0; i < name.length(); i++)
            if (!tchar(name.charAt(i))) throw new Refused(400, "A header name holds a character not allowed there.");
        String value = line.substring(colon + 1).strip();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) throw new Refused(400, "A header value holds a control character.");
        }
        return new String[] {name, value};
    }

    private static boolean tchar(char c) {
        return c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
    }

    private static Head head(String requestLine, List<String[]> headers) throws Refused {
        String[] parts = requestLine.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) throw new Refused(400, "The request line is not 'METHOD target HTTP/1.x'.");
        for (int i = 0; i < parts[0].length(); i++)
            if (!tchar(parts[0].charAt(i))) throw new Refused(400, "The request method is not a token.");
        for (int i = 0; i < parts[1].length(); i++)
            if (parts[1].charAt(i) <= 0x20 || parts[1].charAt(i) >= 0x7f) throw new Refused(400, "The request target holds a character not allowed there.");
        if (!parts[1].startsWith("/") && !parts[1].equals("*") && !parts[1].matches("(?i)https?://.*"))
            throw new Refused(400, "The request target must be a path starting with '/'.");
        if (!percentEscapesValid(parts[1])) throw new Refused(400, "The request target holds a bad percent-escape.");
        int minor = switch (parts[2]) {
            case "HTTP/1.1" -> 1;
            case "HTTP/1.0" -> 0;
            default -> throw parts[2].matches("HTTP/\\d(\\.\\d)?")
                    ? new Refused(400, "HTTP version " + LogText.escape(parts[2], 16) + " is not supported; use HTTP/1.1 or HTTP/1.0.")
                    : new Refused(400, "The request line does not end in an HTTP version.");
        };
        long length = -1;
        boolean chunked = false, close = minor == 0, hasHost = false, expect = false;
        for (String[] h : headers) {
            switch (h[0].toLowerCase(Locale.ROOT)) {
                case "content-length" -> {
                    for (String v : h[1].split(",", -1)) {
                        String t = v.strip();
                        if (!t.matches("\\d{1,18}")) throw new Refused(400, "Content-Length is not a number.");
                        long n = Long.parseLong(t);
                        if (length >= 0 && n != length) throw new Refused(400, "Conflicting Content-Length headers.");
                        length = n;
                    }
                }
                case "transfer-encoding" -> {
                    if (chunked || !h[1].equalsIgnoreCase("chunked"))
                        throw new Refused(400, "Transfer-Encoding '" + LogText.escape(h[1], 64) + "' is not supported (only chunked).");
                    chunked = true;
                }
                case "connection" -> {
                    for (String token : h[1].split(",")) {
                        String t = token.strip().toLowerCase(Locale.ROOT);
                        if (t.equals("close")) close = true;
                        else if (t.equals("keep-alive") && minor == 0) close = false;
                    }
                }
                case "host" -> hasHost = true;
                case "expect" -> {
                    if (!h[1].equalsIgnoreCase("100-continue")) throw new Refused(417, "Only 'Expect: 100-continue' is supported.");
                    expect = minor == 1;
                }
                default -> {}
            }
        }
        if (chunked && length >= 0) throw new Refused(400, "A request may not carry both Content-Length and Transfer-Encoding.");
        if (chunked && minor == 0) throw new Refused(400, "HTTP/1.0 requests cannot use Transfer-Encoding.");
        if (minor == 1 && !hasHost) throw new Refused(400, "HTTP/1.1 requests need a Host header.");
        return new Head(parts[0], parts[1], minor, headers, length, chunked, !close, expect);
    }

    /** The body of a request: Content-Length bytes or de-chunked, at most maxBytes (413 above, before reading it). */
    static byte[] readBody(In in, Head h, long maxBytes, long silenceMillis, OutputStream client) throws IOException, Refused {
        if (!h.chunked() && h.contentLength() <= 0) return new byte[0];
        if (h.contentLength() > maxBytes)
            throw new Refused(413, "The request body has " + h.contentLength() + " bytes; the limit is " + maxBytes + ".");
        if (h.expectContinue()) {
            client.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            client.flush();
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            if (!h.chunked()) {
                in.copy(h.contentLength(), body, silenceMillis);
                return body.toByteArray();
            }
            while (true) {
                String sizeLine = in.line(System.nanoTime() + silenceMillis * 1_000_000, 1024);
                if (sizeLine == null) throw new Refused(400, "The chunked body ended early.");
                int semi = sizeLine.indexOf(';');
                String hex = (semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).strip();
                if (!hex.matches("[0-9a-fA-F]{1,15}")) throw new Refused(400, "A chunk size is not a hexadecimal number.");
                long size = Long.parseLong(hex, 16);
                if (size == 0) break;
                if (body.size() + size > maxBytes) throw new Refused(413, "The request body exceeds the limit of " + maxBytes + " bytes.");
                in.copy(size, body, silenceMillis);
                String end = in.line(System.nanoTime() + silenceMillis * 1_000_000, 2);
                if (end == null || !end.isEmpty()) throw new Refused(400, "A chunk is longer than its declared size.");
            }
            for (int n = 0; ; n++) {  // trailer fields: read and dropped
                String t = in.line(System.nanoTime() + silenceMillis * 1_000_000, MAX_LINE);
                if (t == null || t.isEmpty()) break;
                if (n > 100) throw new Refused(431, "Too many trailer fields.");
            }
            return body.toByteArray();
        } catch (Timeout t) {
            throw new Refused(408, "The request body stalled for " + silenceMillis + " ms.");
        }
    }

    /** A whole response of the gate's own: an OpenAI-shaped error, closing the connection. */
    static byte[] errorResponse(int status, String message) {
        String type = switch (status) {
            case 408 -> "RequestTimeoutError";
            case 413 -> "RequestTooLargeError";
            case 503 -> "ServiceUnavailableError";
            default -> status >= 500 ? "InternalServerError" : "BadRequestError";
        };
        String body = "{\"error\":{\"message\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(message) + ",\"type\":\"" + type
                + "\",\"param\":null,\"code\":\"" + status + "\"}}";  // code: a string, as OpenAI's schema says
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason(status) + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length
                + (status == 503 ? "\r\nRetry-After: 1" : "") + "\r\nConnection: close\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = java.util.Arrays.copyOf(h, h.length + b.length);
        System.arraycopy(b, 0, out, h.length, b.length);
        return out;
    }

    /**
     * Every '%' is followed by two hex digits. A loop, not the regex ([^%]|%XX)*: Java's regex engine recurses per
     * repetition of an alternation group, and a target of about 2,000 characters overflowed a connection thread's
     * stack (the connection closed with no reply).
     */
    static boolean percentEscapesValid(String target) {
        for (int i = 0; i < target.length(); i++) {
            if (target.charAt(i) != '%') continue;
            if (i + 2 >= target.length() || Character.digit(target.charAt(i + 1), 16) < 0 || Character.digit(target.charAt(i + 2), 16) < 0)
                return false;
            i += 2;
        }
        return true;
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 417 -> "Expectation Failed";
            case 431 -> "Request Header Fields Too Large";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Error";
        };
    }

    // ---- response side (from the gate's own backend, trusted to be well-formed) ----

    /**
     * Copies one response from the backend to the client, rewriting its connection headers. An HTTP/1.0 client gets
     * a chunked body de-chunked and the connection closed after it. Returns whether the connection may stay open.
     * headDeadline: the backend response head is read with waits of pollMillis, calling `waiting` between them.
     */
    static boolean relay(In backend, OutputStream client, Head req, boolean keepAlive, long pollMillis, Runnable waiting) throws IOException, Refused {
        String status;
        while (true) {
            try {
                status = backend.line(System.nanoTime() + pollMillis * 1_000_000, MAX_LINE);
                break;
            } catch (Timeout t) {
                waiting.run();
            }
        }
        if (status == null || !status.startsWith("HTTP/1.1 ")) throw new IOException("the backend closed without a response");
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        StringBuilder head = new StringBuilder(status).append("\r\n");
        for (String l = backend.line(Long.MAX_VALUE, MAX_HEAD_BYTES); l != null && !l.isEmpty(); l = backend.line(Long.MAX_VALUE, MAX_HEAD_BYTES)) {
            int colon = l.indexOf(':');
            String name = l.substring(0, colon).strip().toLowerCase(Locale.ROOT), value = l.substring(colon + 1).strip();
            if (name.equals("connection") || name.equals("keep-alive")) continue;
            if (name.equals("transfer-encoding")) {
                chunked = true;
                if (req.minor() == 0) continue;
            }
            if (name.equals("content-length")) length = Long.parseLong(value);
            head.append(l).append("\r\n");
        }
        boolean noBody = req.method().equals("HEAD") || code == 204 || code == 304 || (code >= 100 && code < 200);
        boolean untilClose = !noBody && !chunked && length < 0;
        boolean open = keepAlive && !untilClose && !(chunked && req.minor() == 0);
        head.append(open ? (req.minor() == 0 ? "Connection: keep-alive\r\n" : "") : "Connection: close\r\n").append("\r\n");
        client.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (noBody) {
            client.flush();
            return open;
        }
        OutputStream sink = client;
        if (chunked) {
            relayChunks(backend, client, req.minor() == 1);
        } else if (length >= 0) {
            backend.copy(length, new Flushing(sink), Long.MAX_VALUE / 2);
        } else {
            byte[] buf = new byte[16 * 1024];
            while (true) {
                int n = backend.drain(buf);
                if (n < 0) break;
                client.write(buf, 0, n);
                client.flush();
            }
        }
        client.flush();
        return open;
    }

    /** Chunked body: passed as is (keepChunks) or de-chunked for HTTP/1.0; flushed per read for streaming. */
    private static void relayChunks(In backend, OutputStream client, boolean keepChunks) throws IOException, Refused {
        Flushing out = new Flushing(client);
        while (true) {
            String sizeLine = backend.line(Long.MAX_VALUE, 1024);
            if (sizeLine == null) throw new IOException("the backend closed inside a chunked body");
            int semi = sizeLine.indexOf(';');
            long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).strip(), 16);
            if (keepChunks) client.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            if (size == 0) {
                for (String t = backend.line(Long.MAX_VALUE, MAX_LINE); t != null && !t.isEmpty(); t = backend.line(Long.MAX_VALUE, MAX_LINE))
                    if (keepChunks) client.write((t + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                if (keepChunks) client.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                client.flush();
                return;
            }
            backend.copy(size, out, Long.MAX_VALUE / 2);
            backend.line(Long.MAX_VALUE, 2);
            if (keepChunks) client.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            client.flush();
        }
    }

    /** Flushes after every write, so streamed events leave as soon as they come. */
    private static final class Flushing extends OutputStream {
        private final OutputStream out;

        Flushing(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            out.flush();
        }
    }
}
