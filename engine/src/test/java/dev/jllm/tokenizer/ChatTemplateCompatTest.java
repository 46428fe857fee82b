package dev.jllm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** jinja2 behaviours the golden set does not all exercise, each checked against Python's output. */
class ChatTemplateCompatTest {
    static String render(String t) {
        return new ChatTemplate(t, () -> LocalDateTime.of(2024, 7, 26, 0, 0)).render(List.of(Map.of("role", "user", "content", "hi")),
                null, null, true, Map.of(), "<s>", "</s>");
    }

    @Test
    void strftimeNowIsDefinedAsInTransformers() {
        // the Llama 3.2 templates print today's date only when `strftime_now is defined`, else a fixed 26 Jul 2024
        String t = "{%- if strftime_now is defined %}{{ strftime_now('%d %b %Y') }}{%- else %}fallback{%- endif %}";
        String out = new ChatTemplate(t, () -> LocalDateTime.of(2026, 11, 29, 0, 0)).render(List.of(Map.of("role", "user", "content", "hi")),
                null, null, true, Map.of(), "<s>", "</s>");
        assertEquals("29 Nov 2026", out);
    }

    @Test
    void valuesPrintAsPythonPrintsThem() {
        assertEquals("True|False|[1, None, True, 'a']|{'k': 'v'}", render("{{ true }}|{{ false }}|{{ [1, none, true, \"a\"] }}|{{ {'k': 'v'} }}"));
        assertEquals("None", render("{{ tools }}"));
        assertEquals("", render("{{ undefined_name }}"));
    }

    @Test
    void stringMethodsFormatSlicingAndTests() {
        assertEquals("1 and b", render("{{ '{} and {}'.format(1, 'b') }}"));
        assertEquals("Hello World|['a', 'b']|x|dcba|ab", render("{{ 'hello world'.title() }}|{{ 'a,b'.split(',') }}|{{ '\\n x \\n'.strip() }}|{{ 'abcd'[::-1] }}|{{ 'abcd'[:2] }}"));
        assertEquals("undef|yes|TrueFalse", render("{% if not x is defined %}undef{% endif %}|{% if messages[-1].role == 'user' %}yes{% endif %}|{{ 'a' is string }}{{ 1 is mapping }}"));
    }

    @Test
    void tojsonGenerationBlockDateAndNamespaces() {
        assertEquals("{\"a\": [1, 2], \"b\": null}", render("{{ {'a': [1, 2], 'b': none} | tojson }}"));
        assertEquals("[\n  1\n]", render("{{ [1] | tojson(indent=2) }}"));
        assertEquals("G", render("{% generation %}G{% endgeneration %}"));
        assertEquals("26 Jul 2024", render("{{ strftime_now('%d %b %Y') }}"));
        assertEquals("3", render("{% set ns = namespace(n=1) %}{% for m in [1, 2] %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}"));
    }

    @Test
    void raiseExceptionAndTypeErrorsStopRendering() {
        ChatTemplate.TemplateRaised e = assertThrows(ChatTemplate.TemplateRaised.class, () -> render("{{ raise_exception('bad role') }}after"));
        assertEquals("bad role", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> render("{{ 'a' + messages }}"));
    }

    static String renderMessage(String t, Map<String, Object> message) {
        return new ChatTemplate(t, () -> LocalDateTime.of(2024, 7, 26, 0, 0)).render(List.of(message), null, null, true, Map.of(), "<s>", "</s>");
    }

    @Test
    void reprEscapesWhatPythonCannotPrint() {
        // Python: repr('a\u200db\xa0c\u2003\U0001F600\x7f') == "'a\\u200db\\xa0c\\u2003😀\\x7f'"
        assertEquals("['a\\u200db\\xa0c\\u2003\uD83D\uDE00\\x7f']",
                renderMessage("{{ messages[0]['content'] }}", Map.of("role", "user", "content", List.of("a\u200db\u00a0c\u2003\uD83D\uDE00\u007f"))));
    }

    @Test
    void aMissingKeyIsUndefinedNotNone() {
        Map<String, Object> m = new java.util.HashMap<>(Map.of("role", "assistant"));
        m.put("none", null);
        // jinja2: Undefined prints "", trims to "", is iterable, is not none, takes default(); None prints "None"
        assertEquals("|||None|it|not none|dflt|None", renderMessage("{{ messages[0].content }}|{{ messages[0].content | trim }}|"
                + "{{ messages[0].content | string }}|{{ messages[0].none | string }}|{% if messages[0].content is iterable %}it{% endif %}|"
                + "{% if messages[0].content is not none %}not none{% endif %}|{{ messages[0].content | default('dflt') }}|"
                + "{{ messages[0].none | default('dflt') }}", m));
        // and fails where jinja2 raises UndefinedError: a method, an attribute, `+`, tojson
        for (String t : List.of("{{ messages[0].content.strip() }}", "{{ messages[0].content.text }}",
                "{{ messages[0].content + 'x' }}", "{{ messages[0].content | tojson }}")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> renderMessage(t, m), t);
            assertEquals("chat template error: 'dict object' has no attribute 'content'", e.getMessage(), t);
        }
    }

    @Test
    void macrosMayCallThemselves() {
        // gpt-oss renders nested tool-parameter schemas with a recursive macro
        assertEquals("[[[x]]]", render("{% macro f(d) %}{% if d > 0 %}[{{ f(d - 1) }}]{% else %}x{% endif %}{% endmacro %}{{ f(3) }}"));
    }
}
