package dev.jllm.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A lazily determinised view of a {@link Regex}: DFA states are ε-closed sets of NFA states, created on first use
 * and cached with their transitions. State 0 is dead. Thread-safe (synchronised): one DFA is shared by every
 * request using the same constraint.
 */
public final class Dfa {
    public static final int DEAD = 0;
    private final Regex nfa;
    private final List<int[]> sets = new ArrayList<>();                 // DFA state -> sorted NFA states
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<Map<Integer, Integer>> next = new ArrayList<>();  // DFA state -> code point -> state
    private final List<Boolean> accepting = new ArrayList<>();
    private final List<int[][]> ranges = new ArrayList<>();             // DFA state -> outgoing code point ranges
    private final List<int[]> ascii = new ArrayList<>();                // DFA state -> [cp < 128] -> state, -1 unknown
    public final int start;

    private final BitSet live;  // NFA states from which the accepting state can be reached

    public Dfa(Regex nfa) {
        this.nfa = nfa;
        this.live = coReachable(nfa);
        intern(new int[0]);  // dead
        start = intern(closure(new int[] {nfa.start}));
    }

    /**
     * The NFA states that can still reach acceptance. Only these enter DFA states, so every state a walk can reach
     * can still complete: a branch that matches nothing (a schema cut at its recursion bound) is never entered
     * rather than becoming a dead end halfway through an output.
     */
    private static BitSet coReachable(Regex nfa) {
        int n = nfa.eps.size();
        List<List<Integer>> into = new ArrayList<>();
        for (int i = 0; i < n; i++) into.add(new ArrayList<>());
        for (int i = 0; i < n; i++) {
            for (int t : nfa.eps.get(i)) into.get(t).add(i);
            if (nfa.lo.get(i) >= 0) into.get(nfa.to.get(i)).add(i);
        }
        BitSet seen = new BitSet(n);
        java.util.ArrayDeque<Integer> queue = new java.util.ArrayDeque<>();
        seen.set(nfa.accept);
        queue.add(nfa.accept);
        while (!queue.isEmpty())
            for (int f : into.get(queue.poll()))
                if (!seen.get(f)) {
                    seen.set(f);
                    queue.add(f);
                }
        return seen;
    }

    private int[] closure(int[] seeds) {
        BitSet seen = new BitSet();
        int[] stack = new int[64];
        int sp = 0;
        for (int s : seeds) {
            if (live.get(s) && !seen.get(s)) { seen.set(s); if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2); stack[sp++] = s; }
        }
        while (sp > 0) {
            int s = stack[--sp];
            for (int t : nfa.eps.get(s)) {
                if (seen.get(t) || !live.get(t)) continue;
                seen.set(t);
                if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
                stack[sp++] = t;
            }
        }
        return seen.stream().toArray();
    }

    private int intern(int[] set) {
        String key = Arrays.toString(set);
        Integer id = ids.get(key);
        if (id != null) return id;
        int nid = sets.size();
        if (nid > 100_000) throw new IllegalArgumentException("the constraint is too large (over 100000 automaton states)");
        sets.add(set);
        ids.put(key, nid);
        next.add(new HashMap<>());
        int[] a = new int[128];
        Arrays.fill(a, -1);
        ascii.add(a);
        boolean acc = false;
        List<int[]> rs = new ArrayList<>();
        for (int s : set) {
            if (s == nfa.accept) acc = true;
            if (nfa.lo.get(s) >= 0 && live.get(nfa.to.get(s))) rs.add(new int[] {nfa.lo.get(s), nfa.hi.get(s)});
        }
        accepting.add(acc);
        ranges.add(rs.toArray(int[][]::new));
        return nid;
    }

    public synchronized int step(int state, int cp) {
        if (state == DEAD) return DEAD;
        if (cp < 128 && cp >= 0 && ascii.get(state)[cp] >= 0) return ascii.get(state)[cp];  // the common case, unboxed
        Integer cached = next.get(state).get(cp);
        if (cached != null) return cached;
        List<Integer> targets = new ArrayList<>();
        for (int s : sets.get(state))
            if (nfa.lo.get(s) >= 0 && nfa.lo.get(s) <= cp && cp <= nfa.hi.get(s) && live.get(nfa.to.get(s))) targets.add(nfa.to.get(s));
        int r = targets.isEmpty() ? DEAD : intern(closure(targets.stream().mapToInt(Integer::intValue).toArray()));
        next.get(state).put(cp, r);
        if (cp < 128 && cp >= 0) ascii.get(state)[cp] = r;
        return r;
    }

    public int walk(int state, String text) {
        for (int i = 0; i < text.length() && state != DEAD; ) {
            int cp = text.codePointAt(i);
            state = step(state, cp);
            i += Character.charCount(cp);
        }
        return state;
    }

    public synchronized boolean isAccepting(int state) {
        return accepting.get(state);
    }

    /** Whether some code point in [lo, hi] leads somewhere from this state (for partial UTF-8 byte tokens). */
    public synchronized boolean anyIn(int state, int lo, int hi) {
        for (int[] r : ranges.get(state)) if (r[0] <= hi && lo <= r[1]) return true;
        return false;
    }

    /** Whether any string at all can follow (the state can still reach acceptance or continue). */
    public synchronized boolean isLive(int state) {
        return state != DEAD && (accepting.get(state) || ranges.get(state).length > 0);
    }
}
