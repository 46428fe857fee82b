package dev.jllm.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** vLLM-style flags: --name value, --name=value, boolean --flag, and repeated or multi-value flags. */
final class Args {
    private final Map<String, List<String>> values = new HashMap<>();
    final List<String> positional = new ArrayList<>();

    Args(String[] argv, Set<String> booleans, Set<String> multi, Set<String> known) {
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                positional.add(a);
                continue;
            }
            String name = a.substring(2), value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            name = name.replace('_', '-');
            if (!known.contains(name)) throw new IllegalArgumentException("unknown option --" + name + " (see --help)");
            List<String> list = values.computeIfAbsent(name, k -> new ArrayList<>());
            if (booleans.contains(name)) {
                list.add(value == null ? "true" : value);
                continue;
            }
            if (value != null) {
                list.add(value);
                continue;
            }
            if (i + 1 >= argv.length || (argv[i + 1].startsWith("--") && !multi.contains(name)))
                throw new IllegalArgumentException("option --" + name + " needs a value");
            list.add(argv[++i]);
            if (multi.contains(name)) while (i + 1 < argv.length && !argv[i + 1].startsWith("--")) list.add(argv[++i]);
        }
    }

    String get(String name, String fallback) {
        List<String> v = values.get(name);
        return v == null || v.isEmpty() ? fallback : v.get(v.size() - 1);
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    boolean flag(String name) {
        return Boolean.parseBoolean(get(name, "false"));
    }

    int integer(String name, int fallback) {
        String v = get(name, null);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            boolean digits = v.matches("[+-]?[0-9]+");  // an integer, but past int's range
            throw new IllegalArgumentException("--" + name + (digits ? " is out of range (at most 2147483647), got '"
                    : " must be an integer, got '") + v + "'");
        }
    }

    /** Sizes like 512M, 4G, 1073741824. */
    long bytes(String name, long fallback) {
        String v = get(name, null);
        if (v == null) return fallback;
        String s = v.trim().toUpperCase().replace("IB", "").replace("B", "");
        long mult = 1;
        if (s.endsWith("K")) mult = 1L << 10;
        else if (s.endsWith("M")) mult = 1L << 20;
        else if (s.endsWith("G")) mult = 1L << 30;
        if (mult > 1) s = s.substring(0, s.length() - 1);
        try {
            return (long) (Double.parseDouble(s) * mult);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a size such as 512M or 2G, got '" + v + "'");
        }
    }
}
