package dev.jllm.structured;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An Earley recognizer over code points for a {@link Grammar} whose terminals are DFAs (so a terminal such as
 * /[0-9]+/ is matched character by character inside the chart). Charts are immutable: scanning returns a new
 * chart that shares its predecessors, so the token-mask walk can branch cheaply.
 */
final class Earley {
    /** Item: production, dot, origin chart index, and the DFA state of the terminal at the dot (or -1). */
    record Item(int prod, int dot, int origin, int tstate) {}

    /** One Earley set plus its predecessors (index i = after i characters). */
    static final class Chart {
        final Chart prev;
        final int index;
        final List<Item> items;

        Chart(Chart prev, List<Item> items) {
            this.prev = prev;
            this.index = prev == null ? 0 : prev.index + 1;
            this.items = items;
        }

        Chart at(int i) {
            Chart c = this;
            while (c.index > i) c = c.prev;
            return c;
        }
    }

    final Grammar g;

    Earley(Grammar g) {
        this.g = g;
    }

    Chart start() {
        List<Item> seed = new ArrayList<>();
        for (int p : g.byLhs.get(g.start)) seed.add(item(p, 0, 0));
        return close(null, seed);
    }

    private Item item(int prod, int dot, int origin) {
        int[] rhs = g.productions.get(prod).rhs();
        int t = dot < rhs.length && rhs[dot] < 0 ? g.terminals.get(-rhs[dot] - 1).start : -1;
        return new Item(prod, dot, origin, t);
    }

    /** Predict and complete to a fixed point (a new set at the end of prev). */
    private Chart close(Chart prev, List<Item> seed) {
        List<Item> items = new ArrayList<>();
        Set<Item> seen = new HashSet<>();
        Chart self = new Chart(prev, items);
        List<Item> work = new ArrayList<>(seed);
        int index = self.index;
        for (int w = 0; w < work.size(); w++) {
            Item it = work.get(w);
            if (!seen.add(it)) continue;
            items.add(it);
            int[] rhs = g.productions.get(it.prod()).rhs();
            if (it.dot() == rhs.length) {  // complete: advance items waiting for this lhs
                int lhs = g.productions.get(it.prod()).lhs();
                List<Item> waiting = it.origin() == index ? items : self.at(it.origin()).items;
                for (int k = 0; k < waiting.size(); k++) {
                    Item p = waiting.get(k);
                    int[] prhs = g.productions.get(p.prod()).rhs();
                    if (p.dot() < prhs.length && prhs[p.dot()] == lhs) work.add(item(p.prod(), p.dot() + 1, p.origin()));
                }
                continue;
            }
            int sym = rhs[it.dot()];
            if (sym >= 0) {
                for (int p : g.byLhs.get(sym)) work.add(item(p, 0, index));
                // a nonterminal already completed here (nullable): advance over it
                for (int k = 0; k < items.size(); k++) {
                    Item c = items.get(k);
                    if (c.origin() == index && c.dot() == g.productions.get(c.prod()).rhs().length
                            && g.productions.get(c.prod()).lhs() == sym) work.add(item(it.prod(), it.dot() + 1, it.origin()));
                }
            } else if (g.terminals.get(-sym - 1).isAccepting(it.tstate())) {
                work.add(item(it.prod(), it.dot() + 1, it.origin()));  // the terminal may end here
            }
        }
        return self;
    }

    /** The chart after one more character, or null when no item can take it. */
    Chart scan(Chart c, int cp) {
        List<Item> seed = new ArrayList<>();
        for (Item it : c.items) {
            int[] rhs = g.productions.get(it.prod()).rhs();
            if (it.dot() >= rhs.length || rhs[it.dot()] >= 0) continue;
            int ns = g.terminals.get(-rhs[it.dot()] - 1).step(it.tstate(), cp);
            if (ns != Dfa.DEAD) seed.add(new Item(it.prod(), it.dot(), it.origin(), ns));
        }
        return seed.isEmpty() ? null : close(c, seed);
    }

    /**
     * The chart one position after c in which the terminal at the dot of each given item (all scanning the same
     * terminal) has just ended: each item advanced past it, then closed. Positions between c and the end of the
     * terminal hold no item that any other refers to, so one chart stands for the terminal ending after any number
     * of characters.
     */
    Chart afterTerminal(Chart c, List<Item> items) {
        List<Item> seed = new ArrayList<>(items.size());
        for (Item it : items) seed.add(item(it.prod(), it.dot() + 1, it.origin()));
        return close(c, seed);
    }

    boolean accepts(Chart c) {
        for (Item it : c.items)
            if (it.origin() == 0 && g.productions.get(it.prod()).lhs() == g.start && it.dot() == g.productions.get(it.prod()).rhs().length) return true;
        return false;
    }
}
