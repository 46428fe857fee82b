package dev.jllm.server;

import java.util.concurrent.atomic.AtomicLong;

/** Client text made safe for one log line, and a limiter for warnings a client can trigger at will. */
public final class LogText {
    private LogText() {}

    /**
     * s with CR, LF, other control characters and backslashes escaped (\n, \r, \t, \\, \\uXXXX), cut to at most
     * max characters (then "…"); "null" for null. One client string can then never start a new log line.
     */
    public static String escape(String s, int max) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 8);
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= max) return b.append('…').toString();
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.toString();
    }

    /**
     * The console format with every message made one line (escape()): whatever client text a message carries, it
     * cannot forge log lines. Stack traces are printed as usual.
     */
    public static final class OneLine extends java.util.logging.SimpleFormatter {
        @Override
        public String formatMessage(java.util.logging.LogRecord r) {
            return escape(super.formatMessage(r), 64 * 1024);
        }
    }

    /** Lets at most `perSecond` events through in each second; counts the rest, reported with the next one let through. */
    public static final class Limiter {
        private final int perSecond;
        private final AtomicLong window = new AtomicLong(), inWindow = new AtomicLong(), suppressed = new AtomicLong();

        public Limiter(int perSecond) {
            this.perSecond = perSecond;
        }

        /** Starts a fresh window with nothing dropped (tests isolate themselves from earlier traffic with it). */
        public void reset() {
            window.set(0);
            inWindow.set(0);
            suppressed.set(0);
        }

        /** -1 when this event is to be dropped; else how many were dropped since the last one let through. */
        public long admit() {
            long sec = System.nanoTime() / 1_000_000_000L;
            long w = window.get();
            if (w != sec && window.compareAndSet(w, sec)) inWindow.set(0);
            if (inWindow.incrementAndGet() > perSecond) {
                suppressed.incrementAndGet();
                return -1;
            }
            return suppressed.getAndSet(0);
        }
    }
}
