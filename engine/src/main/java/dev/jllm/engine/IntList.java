package dev.jllm.engine;

import java.util.Arrays;

/** A growable int array (token ids, block tables) without boxing. */
public final class IntList {
    private int[] a;
    private int size;

    public IntList(int capacity) {
        a = new int[Math.max(4, capacity)];
    }

    public IntList(int[] init) {
        a = Arrays.copyOf(init, Math.max(4, init.length + 16));
        size = init.length;
    }

    public void add(int v) {
        if (size == a.length) a = Arrays.copyOf(a, a.length * 2);
        a[size++] = v;
    }

    public int get(int i) {
        if (i >= size) throw new IndexOutOfBoundsException(i);
        return a[i];
    }

    public void set(int i, int v) {
        if (i >= size) throw new IndexOutOfBoundsException(i);
        a[i] = v;
    }

    public int size() {
        return size;
    }

    public void clear() {
        size = 0;
    }

    /** The backing array; valid up to size(). */
    public int[] raw() {
        return a;
    }

    public int[] toArray() {
        return Arrays.copyOf(a, size);
    }

    public IntList copy() {
        IntList c = new IntList(a.length);
        System.arraycopy(a, 0, c.a, 0, size);
        c.size = size;
        return c;
    }
}
