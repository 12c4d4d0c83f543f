package org.distill4j.lm.corpus;

import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * A seeded share of a packed corpus's windows: the windows a teacher is asked about when only part
 * of the transfer set gets its outputs (an API budget, or a transfer set mixed from several
 * sources). The others train on the corpus alone.
 *
 * <p>{@link #select} picks exactly {@code round(share x windows)} windows (at least one), uniformly
 * without replacement, by a partial Fisher-Yates shuffle driven by the seed: the same (share, seed,
 * window count) always gives the same windows, on every machine.
 *
 * @param share the share of windows, in (0, 1]
 * @param seed the seed of the draw
 */
public record WindowShare(double share, long seed) {

    /** Checks the share. */
    public WindowShare {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("window share must be in (0, 1], got " + share);
        }
    }

    /** Every window. */
    public static WindowShare all() {
        return new WindowShare(1, 0);
    }

    /** Returns true when every window is selected. */
    public boolean isAll() {
        return share == 1;
    }

    /**
     * Returns the selected windows of {@code windows}.
     *
     * @param windows the number of windows, at least 1
     */
    public BitSet select(int windows) {
        if (windows < 1) {
            throw new IllegalArgumentException("no window to select from: " + windows);
        }
        BitSet chosen = new BitSet(windows);
        if (isAll()) {
            chosen.set(0, windows);
            return chosen;
        }
        int n = (int) Math.max(1, Math.min(windows, Math.round(share * windows)));
        int[] order = new int[windows];
        for (int i = 0; i < windows; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            int j = i + random.nextInt(windows - i);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
            chosen.set(order[i]);
        }
        return chosen;
    }

    /** What the selection adds to a cache key: nothing for every window, else the share and seed. */
    public String keySuffix() {
        return isAll() ? "" : ";share=" + share + ";share_seed=" + seed;
    }
}
