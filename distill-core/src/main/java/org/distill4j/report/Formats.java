package org.distill4j.report;

import java.util.Locale;

/**
 * Human-readable number formats shared by the Markdown and HTML reports. Every method is total:
 * a non-finite or negative-where-impossible value formats as {@link #MISSING} rather than as
 * {@code NaN}, and {@link Locale#ROOT} keeps the output independent of the machine's locale.
 */
final class Formats {

    /** What a value that was not measured looks like. */
    static final String MISSING = "n/a";

    private static final double KIB = 1024.0;
    private static final double MIB = 1024.0 * 1024.0;

    private Formats() {}

    /** A fraction in [0, 1] as a percentage with two decimals, e.g. {@code 98.76%}. */
    static String percent(double fraction) {
        return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.2f%%", fraction * 100.0) : MISSING;
    }

    /** A fraction as a percentage with one decimal, for ratios that need less precision. */
    static String percent1(double fraction) {
        return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.1f%%", fraction * 100.0) : MISSING;
    }

    /** A count with thousands separators, e.g. {@code 1,234,567}. */
    static String count(long n) {
        return n < 0 ? MISSING : String.format(Locale.ROOT, "%,d", n);
    }

    /** A file size in B, KiB or MiB, whichever reads best. */
    static String bytes(long n) {
        if (n < 0) {
            return MISSING;
        }
        if (n < KIB) {
            return n + " B";
        }
        if (n < MIB) {
            return String.format(Locale.ROOT, "%.1f KiB", n / KIB);
        }
        return String.format(Locale.ROOT, "%.2f MiB", n / MIB);
    }

    /** Milliseconds with three decimals: single-row CPU latencies are often well under 1 ms. */
    static String millis(double ms) {
        return Double.isFinite(ms) ? String.format(Locale.ROOT, "%.3f", ms) : MISSING;
    }

    /** A rate per second, rounded to whole rows once decimals would be noise. */
    static String rate(double perSecond) {
        if (!Double.isFinite(perSecond)) {
            return MISSING;
        }
        return perSecond < 100
                ? String.format(Locale.ROOT, "%.1f", perSecond)
                : String.format(Locale.ROOT, "%,.0f", perSecond);
    }
}
