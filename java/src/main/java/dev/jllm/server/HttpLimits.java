package dev.jllm.server;

import java.time.Duration;

/**
 * Connection-level limits of the HTTP front end (HttpGate), so that no client can hold the server.
 *
 * @param maxConnections    client connections open at once; one more is answered 503 and closed
 * @param headerTimeout     the whole request head (line + headers) must arrive within this time of its first byte (else 408)
 * @param readTimeout       longest silence while a request body is read (else 408)
 * @param idleTimeout       a keep-alive connection with no request in flight is closed after this
 * @param writeTimeout      a client that accepts no response bytes for this long is disconnected (its requests abort)
 * @param streamBacklog     engine outputs queued for one HTTP call while its client does not read; beyond it the
 *                          call's requests are aborted (bounds the heap a never-read stream holds)
 */
public record HttpLimits(int maxConnections, Duration headerTimeout, Duration readTimeout, Duration idleTimeout,
                         Duration writeTimeout, int streamBacklog) {
    public static final HttpLimits DEFAULTS = new HttpLimits(2048, Duration.ofSeconds(20), Duration.ofSeconds(30),
            Duration.ofSeconds(60), Duration.ofSeconds(60), 512);

    public HttpLimits {
        if (maxConnections < 1) throw new IllegalArgumentException("--max-connections must be at least 1");
        for (Duration d : new Duration[] {headerTimeout, readTimeout, idleTimeout, writeTimeout})
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("HTTP timeouts must be positive, got " + d);
        if (streamBacklog < 1) throw new IllegalArgumentException("streamBacklog must be at least 1");
    }
}
