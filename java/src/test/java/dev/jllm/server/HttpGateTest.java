package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The gate's accept loop outlives accept() failures (issue 10 item 10: EMFILE once ended the listener for good). */
class HttpGateTest {
    /** A listener whose first `failures` accepts fail the way they do when the process is out of descriptors. */
    static final class Exhausted extends ServerSocket {
        final AtomicInteger failures;

        Exhausted(int failures) throws IOException {
            this.failures = new AtomicInteger(failures);
        }

        @Override
        public Socket accept() throws IOException {
            if (failures.getAndDecrement() > 0) throw new IOException("Too many open files");
            return super.accept();
        }
    }

    @Test
    void theAcceptLoopSurvivesDescriptorExhaustion() throws Exception {
        ServerFixture f = ServerFixture.get();
        Exhausted listener = new Exhausted(5);
        listener.bind(new InetSocketAddress("127.0.0.1", 0));
        // the gate in front of the fixture's public port: any HTTP server will do as its backend
        try (HttpGate gate = new HttpGate(listener, f.server.port(), HttpLimits.DEFAULTS, 1 << 20)) {
            HttpHardeningTest.Got g = HttpHardeningTest.exchange(gate.port(), "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 10000);
            assertTrue(g.text().startsWith("HTTP/1.1 200"), g.text());
            assertTrue(listener.failures.get() < 0, "the failing accepts happened first");
        }
    }
}
