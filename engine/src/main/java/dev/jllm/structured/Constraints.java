package dev.jllm.structured;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.engine.TokenConstraint;
import dev.jllm.tokenizer.Tokenizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Builds token constraints from guided-decoding requests (choice, regex, JSON schema, any JSON object), caching the
 * compiled automaton and its masks by (pattern, tokenizer) so repeated constraints cost nothing to set up.
 */
public final class Constraints {
    private final Tokenizer tokenizer;
    private final Map<String, RegexConstraint.Compiled> cache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, RegexConstraint.Compiled> e) {
            return size() > 64;
        }
    };

    private static final Map<Tokenizer, Constraints> BY_TOKENIZER = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** The shared compiler (and cache) of a tokenizer. */
    public static Constraints of(Tokenizer tokenizer) {
        return BY_TOKENIZER.computeIfAbsent(tokenizer, Constraints::new);
    }

    public Constraints(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** A fresh per-request constraint for a regular expression (the whole output must match it). */
    public TokenConstraint regex(String pattern) {
        RegexConstraint.Compiled c;
        synchronized (cache) {
            c = cache.get(pattern);
        }
        if (c == null) {
            Dfa dfa = new Dfa(Regex.compile(pattern));
            if (!dfa.isLive(dfa.start)) throw new IllegalArgumentException("the constraint matches no text");
            c = new RegexConstraint.Compiled(dfa, TokenVocabulary.of(tokenizer), tokenizer.eosIds());
            synchronized (cache) {
                cache.put(pattern, c);
            }
        }
        return new RegexConstraint(c);
    }

    public TokenConstraint choice(List<String> choices) {
        if (choices.isEmpty()) throw new IllegalArgumentException("guided_choice must list at least one choice");
        return regex(choices.stream().map(Regex::quote).collect(Collectors.joining("|", "(?:", ")")));
    }

    public TokenConstraint jsonSchema(JsonNode schema, String whitespace) {
        return regex(JsonSchemaRegex.toRegex(schema, whitespace));
    }

    private final Map<String, Grammar> grammars = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Grammar> e) {
            return size() > 16;
        }
    };
    private String[] texts;

    /** guided_grammar: an EBNF grammar (Lark or GBNF dialect), recognised by an Earley parser. */
    public TokenConstraint grammar(String text) {
        Grammar g;
        synchronized (grammars) {
            g = grammars.get(text);
            if (g == null) {
                try {
                    g = Grammar.parse(text);
                } catch (StackOverflowError e) {  // the parser recurses once per nested group
                    throw new IllegalArgumentException("the grammar nests too deeply");
                }
                grammars.put(text, g);
            }
            if (texts == null) texts = GrammarConstraint.texts(TokenVocabulary.of(tokenizer));
        }
        return new GrammarConstraint(g, TokenVocabulary.of(tokenizer), tokenizer.eosIds(), texts);
    }

    /**
     * response_format json_object: any JSON object, nested to any depth (a context-free language, so the grammar
     * engine rather than a regex); between tokens the whitespace pattern (default: at most one space).
     */
    public TokenConstraint jsonObject(String whitespace) {
        return grammar(jsonObjectGrammar(whitespace));
    }

    /** JSON (RFC 8259) with an object at the top, in the Lark dialect {@link Grammar} reads. */
    static String jsonObjectGrammar(String whitespace) {
        String ws = whitespace == null ? " " : whitespace;
        return String.join("\n",
                "start: object",
                "?value: object | array | STRING | NUMBER | \"true\" | \"false\" | \"null\"",
                "object: \"{\" SP? (pair (SP? \",\" SP? pair)* SP?)? \"}\"",  // {} holds at most one SP, not two
                "pair: STRING SP? \":\" SP? value",
                "array: \"[\" SP? (value (SP? \",\" SP? value)* SP?)? \"]\"",
                "STRING: /" + slashFree(JsonSchemaRegex.STRING) + "/",
                "NUMBER: /" + slashFree(JsonSchemaRegex.NUMBER) + "/",
                "SP: /" + slashFree(ws) + "/") + "\n";
    }

    /** A regex without '/', which would end a Lark /regex/ literal: the same character as \x2F. */
    private static String slashFree(String regex) {
        return regex.replace("/", "\\x2F");
    }
}
