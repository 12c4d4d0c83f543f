package org.distill4j.audit;

import java.util.List;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * The audit's model-level test, shared by the classifier and the language-model audit: a one-sided
 * t prediction test of the suspect's Fisher-transformed idiosyncrasy correlation against a sample
 * of independent models' (references or null models), and the rank p-value beside it (see {@code
 * AuditResult.TEST}).
 */
final class ModelLevelTest {

    private ModelLevelTest() {}

    /**
     * @param statistic t = (z_suspect - mean(z)) / (sd(z) sqrt(1 + 1/K)), K the sample's size
     * @param degreesOfFreedom K - 1
     * @param pValue P(T_{K-1} &gt;= t)
     * @param rankPValue (1 + models at least as close) / (K + 1)
     * @param effectSize (z_suspect - mean(z)) / sd(z)
     */
    record Outcome(double statistic, int degreesOfFreedom, double pValue, double rankPValue, double effectSize) {}

    /**
     * Tests {@code suspectScore} against {@code sample} (at least 2 correlations).
     *
     * @param suspectScore the suspect's idiosyncrasy correlation, in [-1, 1]
     * @param sample the independent models' correlations
     */
    static Outcome of(double suspectScore, List<Double> sample) {
        int refs = sample.size();
        double[] zRef = sample.stream().mapToDouble(ModelLevelTest::fisher).toArray();
        double zSuspect = fisher(suspectScore);
        double meanRef = java.util.Arrays.stream(zRef).average().orElseThrow();
        double var = 0;
        for (double v : zRef) {
            var += (v - meanRef) * (v - meanRef);
        }
        double sd = Math.sqrt(var / (refs - 1));
        int df = refs - 1;
        double diff = zSuspect - meanRef;
        double tStat = sd > 0
                ? diff / (sd * Math.sqrt(1 + 1.0 / refs))
                : diff > 0 ? Double.POSITIVE_INFINITY : diff < 0 ? Double.NEGATIVE_INFINITY : 0;
        double p = Double.isInfinite(tStat)
                ? (tStat > 0 ? 0 : 1)
                : new TDistribution(null, df)
                        .cumulativeProbability(-tStat); // the upper tail, without 1 - cdf cancelling
        int atLeastAsClose = 0;
        for (double v : zRef) {
            if (v >= zSuspect) {
                atLeastAsClose++;
            }
        }
        double rankP = (1.0 + atLeastAsClose) / (refs + 1);
        double effect = sd > 0 ? diff / sd : tStat;
        return new Outcome(tStat, df, p, rankP, effect);
    }

    /** Fisher's z = atanh(r), r clipped to (-1, 1) so that a perfect correlation stays finite. */
    static double fisher(double r) {
        double c = Math.max(-0.999999, Math.min(0.999999, r));
        return 0.5 * Math.log((1 + c) / (1 - c));
    }
}
