package org.distill4j.eval;

/**
 * The exact upper tail of a binomial distribution, in log10 so that it stays exact far below what
 * a double holds: what the exact tests of the project (a token watermark's green count, McNemar's
 * discordant rows) reduce to.
 */
public final class BinomialTail {

    private BinomialTail() {}

    /**
     * Returns log10 P(Binomial(n, p) &gt;= k), summed term by term from k up (exact to double
     * rounding); 0 for k &lt;= 0 and negative infinity for k &gt; n.
     *
     * @param n trials, at least 0
     * @param k the smallest count in the tail
     * @param p success probability, in (0, 1)
     */
    public static double log10UpperTail(int n, int k, double p) {
        if (k <= 0) {
            return 0;
        }
        if (k > n) {
            return Double.NEGATIVE_INFINITY;
        }
        // log pmf(k) = log C(n, k) + k log p + (n - k) log(1 - p)
        double logTerm = k * Math.log(p) + (n - k) * Math.log1p(-p);
        for (int j = 1; j <= k; j++) {
            logTerm += Math.log((double) (n - k + j) / j);
        }
        double ratio = p / (1 - p);
        double sum = 1; // terms relative to pmf(k)
        double rel = 1;
        for (int i = k; i < n; i++) {
            rel *= (double) (n - i) / (i + 1) * ratio;
            sum += rel;
            if (rel < sum * 1e-17) {
                break;
            }
        }
        return Math.min(0, (logTerm + Math.log(sum)) / Math.log(10));
    }
}
