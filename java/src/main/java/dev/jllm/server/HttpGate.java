package dev.jllm.server;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The public listener in front of Helidon (which listens on loopback only). Helidon 4.5 answers HTTP/1.0 with 505,
 * keeps connections open after `Connection: close` and after a 413 (so the rest of a body is parsed as a new
 * request), and has no deadline on a request head. The gate owns the client connection instead:
 * <ol>
 * <li>accept loop that never exits on errors (EMFILE: back off and go on), at most maxConnections at once (503 over);
 * <li>each request head within headerTimeout (408), body silences under readTimeout (408), idle keep-alive closed
 *     after idleTimeout, a client that takes no bytes for writeTimeout dropped;
 * <li>strict framing (HttpWire): bodies read whole (Content-Length or chunked, at most maxBodyBytes) before Helidon
 *     sees the request, errors answered OpenAI-shaped and then the connection closed, so nothing can be smuggled;
 *     a Content-Encoding undone here ({@link ContentCoding}: gzip/deflate decoded within maxBodyBytes, others 415);
 * <li>each request forwarded to Helidon on a fresh loopback connection as HTTP/1.1 with Content-Length, the response
 *     relayed back (de-chunked for HTTP/1.0 clients); a client that goes away while it waits is reported to the
 *     handler (X-Jllm-Exchange, {@link #onClientGone}) so its engine requests are aborted.
 * </ol>
 */
final class HttpGate implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HttpGate.class.getName());
    static final String EXCHANGE_HEADER = "X-Jllm-Exchange";
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding", "content-length", "te",
            "upgrade", "proxy-connection", "expect", EXCHANGE_HEADER.toLowerCase(Locale.ROOT));
    private static final int REJECTING_AT_ONCE = 64, POLL_MILLIS = 200;

    /** One client connection: its socket and, while a write is blocked, since when (System.nanoTime, 0 = none). */
    private static final class Conn {
        final Socket socket;
        volatile long writingSince;

        Conn(Socket socket) {
            this.socket = socket;
        }
    }

    /** What a handler learns about its client: runs `onGone` actions once the client has disconnected. */
    static final class Exchange {
        private final List<Runnable> onGone = new ArrayList<>();
        private boolean gone;

        synchronized void onGone(Runnable r) {
            if (gone) r.run();
            else onGone.add(r);
        }

        void gone() {
            List<Runnable> run;
            synchronized (this) {
                if (gone) return;
                gone = true;
                run = new ArrayList<>(onGone);
            }
            for (Runnable r : run) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "abort on client disconnect failed", e);
                }
            }
        }
    }

    private final ServerSocket listener;
    private final int backendPort;
    private final HttpLimits limits;
    private final int maxConnections;
    private final long maxBodyBytes;
    private final Set<Conn> conns = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Exchange> exchanges = new ConcurrentHashMap<>();
    private final AtomicInteger rejecting = new AtomicInteger();
    private final LogText.Limiter acceptErrors = new LogText.Limiter(1);
    private volatile boolean closed;
    private final Thread acceptor, watchdog;

    /** listener: bound already (plain or TLS); backendPort: Helidon's loopback port. */
    HttpGate(ServerSocket listener, int backendPort, HttpLimits limits, long maxBodyBytes) {
        this.listener = listener;
        this.backendPort = backendPort;
        this.limits = limits;
        this.maxBodyBytes = maxBodyBytes;
        this.maxConnections = capByFdLimit(limits.maxConnections());
        acceptor = Thread.ofPlatform().name("jllm-accept").daemon().start(this::acceptLoop);
        watchdog = Thread.ofPlatform().name("jllm-write-watchdog").daemon().start(this::watchWrites);
    }

    int port() {
        return listener.getLocalPort();
    }

    int openConnections() {
        return conns.size();
    }

    /** The exchange a request forwarded by this gate belongs to (null for a request that did not come through it). */
    Exchange exchange(String token) {
        return token == null ? null : exchanges.get(token);
    }

    @Override
    public void close() {
        close(0);
    }

    /** Stops accepting, waits graceMs for connections to finish on their own, then closes the rest. */
    public void close(long graceMs) {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        long deadline = System.currentTimeMillis() + graceMs;
        while (!conns.isEmpty() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Conn c : conns) closeQuietly(c.socket);
        acceptor.interrupt();
        watchdog.interrupt();
    }

    /**
     * Each connection may take 3 descriptors (client, loopback to Helidon, Helidon's end of it); keep 256 spare.
     * The JVM already raises the soft RLIMIT_NOFILE to the hard limit at start (HotSpot's MaxFDLimit, on by default).
     */
    private static int capByFdLimit(int wanted) {
        long fds = openFileLimit();
        if (fds <= 0) return wanted;
        int fit = (int) Math.max(1, (fds - 256) / 3);
        if (wanted > fit) {
            LOG.warning("--max-connections " + wanted + " lowered to " + fit + ": the open-file limit is " + fds
                    + " (raise it with ulimit -n)");
            return fit;
        }
        return wanted;
    }

    /** The soft open-file limit of this process (Linux /proc), or -1. */
    static long openFileLimit() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (l.startsWith("Max open files")) {
                    String soft = l.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    // ---- 1. accept ----

    private void acceptLoop() {
        long backoff = 1;
        while (!closed) {
            Socket s;
            try {
                s = listener.accept();
                backoff = 1;
            } catch (IOException | RuntimeException e) {
                if (closed) return;
                long dropped = acceptErrors.admit();
                if (dropped >= 0) LOG.warning("accept failed (" + e.getMessage() + "); retrying" + (dropped > 0 ? " (" + dropped + " more)" : ""));
                sleep(backoff);  // EMFILE/ENFILE: the listener stays; descriptors free up as connections close
                backoff = Math.min(1000, backoff * 2);
                continue;
            }
            try {
                admit(s);
            } catch (Throwable t) {  // never let one connection end the loop
                LOG.log(Level.WARNING, "could not start a connection", t);
                closeQuietly(s);
            }
        }
    }

    private void admit(Socket s) throws IOException {
        if (conns.size() >= maxConnections) {
            if (rejecting.incrementAndGet() > REJECTING_AT_ONCE) {
                rejecting.decrementAndGet();
                closeQuietly(s);
                return;
            }
            Thread.ofVirtual().start(() -> {
                try {
                    reject(s);
                } finally {
                    rejecting.decrementAndGet();
                }
            });
            return;
        }
        Conn c = new Conn(s);
        conns.add(c);
        s.setTcpNoDelay(true);
        s.setSendBufferSize(32 * 1024);  // bounds what a client that stops reading leaves queued in the kernel
        Thread.ofVirtual().name("jllm-conn").start(() -> {
            try {
                serve(c);
            } catch (Throwable t) {
                LOG.log(Level.FINE, "connection ended", t);
            } finally {
                conns.remove(c);
                closeQuietly(s);
            }
        });
    }

    /** Over the cap: a 503 without reading the request, then close. */
    private void reject(Socket s) {
        try (s) {
            OutputStream out = s.getOutputStream();
            out.write(HttpWire.errorResponse(503, "Too many connections (" + maxConnections + "); retry later."));
            out.flush();
            lingeringClose(s);
        } catch (IOException ignored) {
            // the client went away first
        }
    }

    /**
     * FIN, then read and drop what the client still sends for up to a second (at most 1 MiB), so that closing with
     * unread input does not reset the connection before the client has read our answer.
     */
    private static void lingeringClose(Socket s) throws IOException {
        if (s instanceof javax.net.ssl.SSLSocket) {  // TLS has no half-close; its close_notify is the end
            s.close();
            return;
        }
        s.shutdownOutput();
        s.setSoTimeout(250);
        long until = System.nanoTime() + 1_000_000_000L, left = 1 << 20;
        byte[] buf = new byte[8192];
        try {
            while (left > 0 && System.nanoTime() < until) {
                int n = s.getInputStream().read(buf);
                if (n < 0) break;
                left -= n;
            }
        } catch (IOException timeoutOrReset) {
            // done either way
        }
        s.close();
    }

    // ---- 2. a client connection: request after request ----

    private void serve(Conn c) throws IOException {
        HttpWire.In in = new HttpWire.In(c.socket);
        OutputStream out = new Watched(c, c.socket.getOutputStream());
        boolean open = true;
        while (open && !closed) {
            long idle = conns.size() > maxConnections * 3L / 4 ? Math.min(1000, limits.idleTimeout().toMillis()) : limits.idleTimeout().toMillis();
            try {
                HttpWire.Head head = HttpWire.readHead(in, idle, limits.headerTimeout().toMillis());
                if (head == null) return;
                byte[] body = HttpWire.readBody(in, head, maxBodyBytes, limits.readTimeout().toMillis(), out);
                body = ContentCoding.decode(head.headers(), body, maxBodyBytes);
                open = forward(c, in, out, head, body);
            } catch (HttpWire.Refused r) {
                try {
                    out.write(HttpWire.errorResponse(r.status, r.getMessage()));
                    out.flush();
                    lingeringClose(c.socket);
                } catch (IOException ignored) {
                    // gone already
                }
                return;
            }
        }
    }

    /** Sends one request to Helidon and relays its response; returns whether the client connection stays open. */
    private boolean forward(Conn c, HttpWire.In clientIn, OutputStream out, HttpWire.Head head, byte[] body) throws IOException, HttpWire.Refused {
        String token = UUID.randomUUID().toString();
        Exchange ex = new Exchange();
        exchanges.put(token, ex);
        try (Socket backend = new Socket()) {
            backend.setReceiveBufferSize(32 * 1024);
            backend.setTcpNoDelay(true);
            backend.connect(new InetSocketAddress("127.0.0.1", backendPort), 5000);
            StringBuilder h = new StringBuilder(head.method()).append(' ').append(head.target()).append(" HTTP/1.1\r\n");
            boolean host = false;
            for (String[] kv : head.headers()) {
                String name = kv[0].toLowerCase(Locale.ROOT);
                if (HOP_BY_HOP.contains(name) || name.equals("content-encoding")) continue;  // the body went out decoded
                host |= name.equals("host");
                h.append(kv[0]).append(": ").append(kv[1]).append("\r\n");
            }
            if (!host) h.append("Host: localhost\r\n");
            if (body.length > 0 || head.method().equals("POST") || head.method().equals("PUT"))
                h.append("Content-Length: ").append(body.length).append("\r\n");
            h.append(EXCHANGE_HEADER).append(": ").append(token).append("\r\nConnection: close\r\n\r\n");
            OutputStream bo = backend.getOutputStream();
            bo.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
            bo.write(body);
            bo.flush();
            HttpWire.In backendIn = new HttpWire.In(backend);
            int[] probes = {0};
            return HttpWire.relay(backendIn, out, head, head.keepAlive(), POLL_MILLIS, () -> {
                if (clientGone(clientIn, head, out, probes)) {
                    ex.gone();
                    closeQuietly(backend);
                    closeQuietly(c.socket);
                }
            });
        } catch (IOException e) {
            ex.gone();  // the client or the backend broke off: the handler's requests must not run on
            throw e;
        } finally {
            exchanges.remove(token);
        }
    }

    private static final byte[] PROCESSING = "HTTP/1.1 102 Processing\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * While a response is awaited: has the client gone? Pipelined bytes stay buffered for the next request. An EOF
     * may be a client that closed the socket or one that only half-closed after sending (raw clients do): an
     * HTTP/1.1 client then gets an interim "102 Processing" (clients must skip 1xx responses), which a closed socket
     * answers with a reset, so a second one a poll later fails. At most two. An HTTP/1.0 client cannot take a 1xx:
     * its EOF is not acted on.
     */
    private static boolean clientGone(HttpWire.In in, HttpWire.Head head, OutputStream out, int[] probes) {
        if (in.bufferedBytes() >= HttpWire.MAX_HEAD_BYTES) return false;  // a pipelining client: buffer no more until it is served
        try {
            if (in.fill(1) >= 0) return false;
        } catch (HttpWire.Timeout alive) {
            return false;
        } catch (IOException e) {
            return true;
        }
        if (head.minor() == 0 || probes[0] >= 2) return false;
        probes[0]++;
        try {
            out.write(PROCESSING);
            out.flush();
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    // ---- 3. writes that stall ----

    /** Marks the connection while a write is under way, so the watchdog can drop a client that stopped reading. */
    private static final class Watched extends OutputStream {
        private final Conn c;
        private final OutputStream out;

        Watched(Conn c, OutputStream out) {
            this.c = c;
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            c.writingSince = System.nanoTime();
            try {
                out.write(b, off, len);
            } finally {
                c.writingSince = 0;
            }
        }

        @Override
        public void flush() throws IOException {
            c.writingSince = System.nanoTime();
            try {
                out.flush();
            } finally {
                c.writingSince = 0;
            }
        }
    }

    private void watchWrites() {
        long limit = limits.writeTimeout().toNanos();
        while (!closed) {
            sleep(Math.min(250, Math.max(10, limits.writeTimeout().toMillis() / 4)));
            long now = System.nanoTime();
            for (Conn c : conns) {
                long since = c.writingSince;
                if (since != 0 && now - since > limit) {
                    LOG.fine("closing a connection whose client took no bytes for " + limits.writeTimeout().toMillis() + " ms");
                    closeQuietly(c.socket);
                }
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
