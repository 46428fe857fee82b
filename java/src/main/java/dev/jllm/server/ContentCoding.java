package dev.jllm.server;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Request bodies with a Content-Encoding (RFC 9110 8.4), undone by the gate before Helidon sees them (Helidon
 * answers any Content-Encoding with a bare 400): identity is nothing to do; gzip (x-gzip) and deflate (zlib, or raw
 * deflate as some clients send) are decoded with the body limit applied to the decoded size, so a small
 * compressed body cannot expand past it; any other coding is a 415 naming it.
 */
final class ContentCoding {
    static final int MAX_LAYERS = 2;

    private ContentCoding() {}

    /** The body with its content codings undone (the last applied first); the body itself when there are none. */
    static byte[] decode(List<String[]> headers, byte[] body, long maxBytes) throws HttpWire.Refused {
        // 1. the codings in the order they were applied, identity dropped
        List<String> codings = new ArrayList<>();
        for (String[] h : headers) {
            if (!h[0].equalsIgnoreCase("content-encoding")) continue;
            for (String c : h[1].split(",")) {
                String name = c.strip().toLowerCase(Locale.ROOT);
                if (name.isEmpty() || name.equals("identity")) continue;
                if (!name.equals("gzip") && !name.equals("x-gzip") && !name.equals("deflate"))
                    throw new HttpWire.Refused(415, "Content-Encoding '" + LogText.escape(c.strip(), 64)
                            + "' is not supported: send the body uncompressed (identity) or with gzip or deflate.");
                codings.add(name);
            }
        }
        if (codings.size() > MAX_LAYERS)
            throw new HttpWire.Refused(415, "At most " + MAX_LAYERS + " content codings are supported; the request has " + codings.size() + ".");
        // 2. undo them, last first, each bounded by maxBytes
        for (int i = codings.size() - 1; i >= 0; i--) body = inflate(codings.get(i), body, maxBytes);
        return body;
    }

    private static byte[] inflate(String coding, byte[] body, long maxBytes) throws HttpWire.Refused {
        if (body.length == 0) return body;
        try {
            if (!coding.equals("deflate")) return drain(new GZIPInputStream(new ByteArrayInputStream(body)), maxBytes);
            try {
                return drain(new InflaterInputStream(new ByteArrayInputStream(body), new Inflater(false)), maxBytes);
            } catch (java.util.zip.ZipException zlibHeaderWrong) {
                return drain(new InflaterInputStream(new ByteArrayInputStream(body), new Inflater(true)), maxBytes);
            }
        } catch (IOException e) {
            throw new HttpWire.Refused(400, "The request body is not valid " + coding + " data (" + LogText.escape(String.valueOf(e.getMessage()), 120) + ").");
        }
    }

    /** Reads the stream to its end, refusing (413) as soon as it yields more than maxBytes. */
    private static byte[] drain(InputStream in, long maxBytes) throws IOException, HttpWire.Refused {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[16 * 1024];
            for (int n; (n = in.read(buf)) >= 0; ) {
                if (out.size() + (long) n > maxBytes)
                    throw new HttpWire.Refused(413, "The request body decompresses to more than the limit of " + maxBytes + " bytes.");
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }
}
