package dev.jllm.structured;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.engine.TokenConstraint;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Prints the time of one allowed-token mask (fillAllowed) per generated token for each structured-output kind on
 * the real Qwen3 (151k) and Llama 3 (128k) vocabularies (a benchmark, not a test):
 * java -cp ... dev.jllm.structured.MaskSpeed [SHARED_DIR] [ROUNDS]. Each case walks its constraint along the
 * tokens of a valid output (the tokenizer's own encoding of it) and times every mask: "first" is the first request
 * on a fresh compiler (nothing cached), "warm" the median of the later rounds (per-request state fresh, shared
 * caches warm). Figures: median / p90 / max ms per token, and the total of the walk.
 */
public final class MaskSpeed {
    /** One case: a name, how to build a fresh constraint from a compiler, and a valid output to walk along. */
    record Case(String name, Function<Constraints, TokenConstraint> make, String output) {}

    static final String LARK_SQL = """
            start: query
            query: "SELECT" _cols "FROM" NAME where? order? ";"?
            _cols: "*" | col ("," col)*
            col: NAME ("." NAME)? ("AS" NAME)?
            where: "WHERE" cond (("AND" | "OR") cond)*
            cond: col OP value
            OP: "=" | "<>" | "<" | ">" | "<=" | ">=" | "LIKE"
            value: NUMBER | STRING | col
            order: "ORDER" "BY" col ("ASC" | "DESC")?
            STRING: /'[^']*'/
            NAME: /[A-Za-z_][A-Za-z0-9_]*/
            %import common.NUMBER
            %import common.WS
            %ignore WS
            """;

    /** In the style llama.cpp's json_schema_to_grammar writes: strings spelled through a per-character rule. */
    static final String GBNF_CHAR_RULE = """
            root ::= "{" space "\\"name\\"" space ":" space string "," space "\\"tags\\"" space ":" space "[" space (string ("," space string)*)? "]" space "}" space
            char ::= [^"\\\\\\x7F\\x00-\\x1F] | [\\\\] (["\\\\bfnrt] | "u" [0-9a-fA-F]{4})
            string ::= "\\"" char* "\\"" space
            space ::= | " " | "\\n" [ \\t]{0,20}
            """;

    static final String SCHEMA = """
            {"type":"object","properties":{
              "name":{"type":"string"},
              "email":{"type":"string","pattern":"^[a-z0-9._]+@[a-z0-9.]+\\\\.[a-z]{2,}$"},
              "age":{"type":"integer","minimum":0,"maximum":150},
              "role":{"enum":["admin","editor","viewer"]},
              "address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},
                 "zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["street","city","zip"]},
              "tags":{"type":"array","items":{"type":"string"},"maxItems":8},
              "scores":{"type":"array","items":{"type":"number"}}},
             "required":["name","email","age","role","address","tags","scores"]}""";

    static final String DOC = "{\"name\": \"Ada Lovelace, Countess of Lovelace\", \"email\": \"ada.lovelace@analytical.engine.org\", "
            + "\"age\": 36, \"role\": \"editor\", \"address\": {\"street\": \"12 St James's Square\", \"city\": \"London\", "
            + "\"zip\": \"12345\"}, \"tags\": [\"mathematics\", \"poetical science\", \"notes on the engine\"], "
            + "\"scores\": [9.5, 10, 8.75]}";

    static final String REGEX = "(?:[0-9]{4}-[0-9]{2}-[0-9]{2}) [A-Z][a-z]+(?: [a-z]+){2,40}\\.";

    static List<Case> cases() throws Exception {
        var schema = new ObjectMapper().readTree(SCHEMA);
        return List.of(
                new Case("gbnf json.gbnf", c -> c.grammar(GbnfTest.JSON), DOC),
                new Case("gbnf char rule", c -> c.grammar(GBNF_CHAR_RULE), "{\"name\": \"Ada Lovelace, Countess of Lovelace\", \"tags\": [\"mathematics\", \"poetical science\", \"notes on the engine\"]}"),
                new Case("lark json_object", c -> c.jsonObject(null), DOC),
                new Case("lark sql", c -> c.grammar(LARK_SQL),
                        "SELECT u.name AS author, p.title FROM posts WHERE p.score >= 10 AND u.name LIKE 'Ada%' ORDER BY p.title DESC;"),
                new Case("json_schema", c -> c.jsonSchema(schema, null), DOC),
                new Case("regex", c -> c.regex(REGEX),
                        "2024-05-17 Today we walked along the river and watched the boats go by under a grey sky."));
    }

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args.length > 0 ? args[0] : "../shared");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String only = args.length > 2 ? args[2] : "";
        for (String vocab : System.getProperty("vocabs", "qwen3,llama3").split(",")) {
            try (Tokenizer tok = Tokenizers.load(shared.resolve("tokenizers/" + vocab), null)) {
                System.out.printf("%s (%d tokens)%n", vocab, tok.vocabSize());
                for (Case k : cases()) {
                    if (!k.name().contains(only)) continue;
                    int[] ids = tok.encode(k.output(), false, false);
                    double[] first = walk(new Constraints(tok), k, tok, ids);
                    Constraints warm = new Constraints(tok);
                    walk(warm, k, tok, ids);
                    double[] all = new double[0];
                    for (int r = 0; r < rounds; r++) {
                        double[] t = walk(warm, k, tok, ids);
                        int n = all.length;
                        all = Arrays.copyOf(all, n + t.length);
                        System.arraycopy(t, 0, all, n, t.length);
                    }
                    System.out.printf("  %-18s %3d tokens  first: %s   warm: %s%n", k.name(), ids.length, stats(first), stats(all));
                }
            }
        }
    }

    /** Walks a fresh constraint along ids; returns the ms of each mask. Fails loudly if a token is not allowed. */
    static double[] walk(Constraints compiler, Case k, Tokenizer tok, int[] ids) {
        TokenConstraint c = k.make().apply(compiler);
        int[] mask = new int[(tok.vocabSize() + 31) / 32];
        double[] ms = new double[ids.length + 1];
        for (int i = 0; i <= ids.length; i++) {
            Arrays.fill(mask, 0);
            long t0 = System.nanoTime();
            c.fillAllowed(mask);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            if (i == ids.length) break;
            if ((mask[ids[i] >> 5] >>> (ids[i] & 31) & 1) == 0)
                throw new IllegalStateException(k.name() + ": token " + i + " (" + ids[i] + ") of the output is not allowed");
            c.accept(ids[i]);
        }
        if (!c.isComplete()) throw new IllegalStateException(k.name() + ": the output is not complete");
        return ms;
    }

    static String stats(double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        double total = 0;
        for (double x : s) total += x;
        return String.format("median %7.3f p90 %7.3f max %8.2f total %8.1f ms", s[s.length / 2], s[(int) (s.length * 0.9)], s[s.length - 1], total);
    }
}
