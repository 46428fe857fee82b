package dev.jllm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Hostile chat templates (issue 10, items 3 and 11): cut off by the render limits, sandboxed like transformers'
 * ImmutableSandboxedEnvironment. The preemptive timeouts only keep a regression from hanging the suite (a broken
 * limit renders for minutes); what each test checks is the error.
 */
class ChatTemplateSandboxTest {
    static final Duration HANG_GUARD = Duration.ofSeconds(60);
    static final String LOOP_1E9 = "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
            + "{% endfor %}{% endfor %}{% endfor %}done";

    static String render(ChatTemplate t, String content) {
        return t.render(List.of(Map.of("role", "user", "content", content)), null, null, true, Map.of(), "<s>", "</s>");
    }

    static String render(String source) {
        return render(new ChatTemplate(source, () -> LocalDateTime.of(2024, 7, 26, 0, 0)), "hi");
    }

    /** The error a template fails with, within the hang guard. */
    static String failure(String source) {
        return assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(IllegalArgumentException.class, () -> render(source))).getMessage();
    }

    @Test
    void aLoopOfABillionStepsStopsAtTheDefaultTimeout() {
        String m = failure(LOOP_1E9);
        assertTrue(m.contains("longer than 2000 ms"), m);
    }

    @Test
    void theTimeoutIsConfigurable() {
        ChatTemplate t = new ChatTemplate(LOOP_1E9, new RenderLimits(Duration.ofMillis(200), 1 << 20));
        RenderLimits.Exceeded e = assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(RenderLimits.Exceeded.class, () -> render(t, "hi")));
        assertTrue(e.getMessage().contains("longer than 200 ms") && !e.output(), e.getMessage());
    }

    @Test
    void outputOverTheLimitStops() {
        // 100 × 100,000 chars = 10 M chars, over the default 8 Mi
        String m = failure("{% for a in range(100) %}{{ '" + "0123456789".repeat(10_000) + "' }}{% endfor %}");
        assertTrue(m.contains("longer than 8388608 characters"), m);
    }

    @Test
    void stringsThatDoubleStopAtTheOutputLimit() {
        String m = failure("{% set s = 'ab' %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}{{ s|length }}");
        assertTrue(m.contains("longer than 8388608 characters"), m);
        m = failure("{% set l = [1] %}{% for i in range(40) %}{% set l = l + l %}{% endfor %}{{ l|length }}");
        assertTrue(m.contains("more than 100000 items"), m);
        m = failure("{{ 'x'|center(100000000) }}");
        assertTrue(m.contains("longer than 8388608 characters"), m);
        m = failure("{{ '%100000000d'|format(1) }}");
        assertTrue(m.contains("longer than 8388608 characters"), m);
    }

    @Test
    void aSmallerOutputBoundPerRenderingIsHonoured() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}{{ m['content'] }}{% endfor %}", new RenderLimits(Duration.ofSeconds(2), 1 << 20));
        String big = "y".repeat(5000);
        assertEquals(big, render(t, big));
        RenderLimits.Exceeded e = assertThrows(RenderLimits.Exceeded.class, () -> t.render(List.of(Map.of("role", "user", "content", big)),
                null, null, true, Map.of(), null, null, t.limits().withMaxOutputChars(4000)));
        assertTrue(e.output() && e.chars() >= 5000, e.getMessage());
    }

    @Test
    void javaMethodsAreNotCallable() {
        // "ab ".repeat(20000000) is 60 MB from a 40-byte template when String.repeat is reachable
        String m = failure("{{ 'ab '.repeat(20000000) }}");
        assertTrue(m.contains("'str object' has no attribute 'repeat'"), m);
        m = failure("{{ messages.clear() }}");
        assertTrue(m.contains("has no attribute 'clear'"), m);
        assertEquals("|", render("{{ 'ab'.bytes }}|{{ 'ab'.class }}"));  // attributes a str lacks are undefined, as in jinja2
        assertEquals("AB|x,y|b", render("{{ 'ab'.upper() }}|{{ 'x y'.split()|join(',') }}|{{ {'a': 'b'}.get('a') }}"));
    }

    @Test
    void includeImportAndExtendsReadNothing() {
        for (String t : List.of("{% include 'META-INF/MANIFEST.MF' %}", "{% include 'dev/jllm/tokenizer/ChatTemplate.class' %}",
                "{% import 'templates/chatml.jinja' as x %}", "{% extends 'templates/chatml.jinja' %}", "{% from 'x' import y %}")) {
            String m = failure(t);
            assertTrue(m.contains("disabled"), t + ": " + m);
        }
    }

    @Test
    void longHostileSourcesAreRewrittenWithoutBacktracking() {
        // before the rewrites were linear, 20 KB of one identifier took about two minutes to construct
        for (String t : List.of("a".repeat(200_000), "{{ " + "a.".repeat(100_000) + " }}", "{#".repeat(100_000), "namespace(" + "(a)".repeat(60_000))) {
            ChatTemplate c = assertTimeoutPreemptively(HANG_GUARD, () -> new ChatTemplate(t));
            assertTrue(c.source().length() >= 180_000);
        }
        assertEquals("a b", render("a{# one -#} {#- two #} b"));
    }

    @Test
    void jinjavaExtrasOutsideJinja2AreDisabled() {
        // render re-interprets a string as a template; fromyaml, regex_replace: unbounded memory or time
        for (String t : List.of("{{ '{{ 1 }}'|render }}", "{{ 'a: 1'|fromyaml }}", "{{ 'aaa'|regex_replace('(a+)+b', 'x') }}")) {
            String m = failure(t);
            assertTrue(m.contains("disabled"), t + ": " + m);
        }
    }
}
