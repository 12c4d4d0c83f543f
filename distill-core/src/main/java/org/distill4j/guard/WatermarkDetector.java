package org.distill4j.guard;

import java.util.Random;
import org.apache.commons.math3.special.Erf;

/**
 * Tests a suspect's outputs for a {@link Watermark}'s signal: does the suspect's preference for the
 * target class follow the key's cosine {@code cos(2π f ⟨v,x⟩ + φ)} over its inputs?
 *
 * <p>The score of input x is the suspect's log-probability of the target class, {@code log q_t(x)}
 * (clipped at ln 1e-7). A watermarked teacher adds up to 2ε of probability to the target class,
 * which on the many inputs where the target is otherwise unlikely moves its log-probability by
 * nats, and a student distilled from it learns that as a smooth function of its input. The score is
 * residualised (least squares) on features that do not depend on the key: a constant, the
 * reference model's predicted class (one-hot; the baseline's, else the suspect's), the clean
 * teacher's log-probabilities when it is given as a baseline, and the suspect's log-probabilities
 * of the other classes centred over them (their ratios, which the watermark's renormalisation
 * leaves unchanged); this removes the class structure and confidence that any model's scores
 * share with slow functions of the input. The statistic is the matched filter of the known phase:
 * {@code z = √n · corr(score, cos(2π f ⟨v,x⟩ + φ))} (the cosine residualised on the same features),
 * large and positive when the suspect learnt the signal.
 *
 * <p>For independent rows z would be N(0, 1) under H0; model outputs are not independent rows (a
 * model's errors are smooth functions of its input), so {@link #test} calibrates z against random
 * keys, which is what audits use.
 */
public final class WatermarkDetector {

    private static final double P_FLOOR = 1e-7;

    private WatermarkDetector() {}

    /**
     * The detector's answer for one key.
     *
     * @param rows inputs used
     * @param correlation correlation of the residualised score with the key's cosine, in [-1, 1]
     * @param statistic z = √rows · correlation
     * @param pValue P(N(0, 1) >= z), valid only for independent rows; see {@link KeyTest}
     */
    public record Detection(int rows, double correlation, double statistic, double pValue) {}

    /**
     * The answer of the test against random keys.
     *
     * @param key the detection with the true key
     * @param nullKeys how many random keys were tried
     * @param pValue (1 + random keys whose statistic is at least the true key's) / (1 + nullKeys):
     *     exact under H0, at least 1 / (1 + nullKeys)
     * @param tailPValue P(N(0, 1) >= (z - nullMean) / nullSd): the normal tail of the true key's
     *     statistic standardised by the random keys' statistics, an approximation that reaches below
     *     1 / (1 + nullKeys)
     * @param nullMean mean of the random keys' statistics
     * @param nullSd standard deviation of the random keys' statistics
     */
    public record KeyTest(
            Detection key, int nullKeys, double pValue, double tailPValue, double nullMean, double nullSd) {

        /** Returns the true key's statistic standardised by the random keys'. */
        public double standardised() {
            return (key.statistic() - nullMean) / nullSd;
        }
    }

    /**
     * Tests outputs for a key's watermark against random keys: under H0 (the suspect never saw this
     * key's outputs) the secret, drawn at random, is independent of the suspect, so the true key's
     * statistic is exchangeable with those of other random keys, whatever the structure of the data
     * or of the model. The random keys keep the true key's target class (the class is drawn
     * independently of the direction, frequency and phase, so the test conditional on it is valid)
     * and, for a key with a data-shaped direction, draw their directions the same way from the
     * probe rows themselves ({@link WatermarkKey#of(byte[], float[], int, double)}).
     *
     * @param key the key
     * @param features the probe inputs, rows of {@code featureSize} floats
     * @param logProbabilities the suspect's log-probabilities, rows of {@code classes}
     * @param baseline the clean teacher's log-probabilities on the same rows, or null
     * @param nullKeys random keys to compare with, >= 19 (499 gives exact p-values down to 0.002)
     * @param seed the random keys' seed
     */
    public static KeyTest test(
            WatermarkKey key,
            int featureSize,
            int classes,
            float[] features,
            float[] logProbabilities,
            float[] baseline,
            int nullKeys,
            long seed) {
        if (nullKeys < 19) {
            throw new IllegalArgumentException("illegal nullKeys value: " + nullKeys + ", must be >= 19");
        }
        return test(nullKeys(key, featureSize, classes, features, nullKeys, seed), logProbabilities, baseline);
    }

    /**
     * Tests a suspect against random keys prepared once (see {@link #nullKeys}): the same test as
     * {@link #test(WatermarkKey, int, int, float[], float[], float[], int, long)}, for many suspects
     * probed on the same rows.
     */
    public static KeyTest test(NullKeys keys, float[] logProbabilities, float[] baseline) {
        Scores scores = scores(keys.truth, keys.features, logProbabilities, baseline);
        Detection t = scores.detect(keys.truthCos);
        int atLeast = 0;
        double sum = 0;
        double[] z = new double[keys.cos.length];
        for (int k = 0; k < z.length; k++) {
            z[k] = scores.detect(keys.cos[k]).statistic();
            sum += z[k];
            if (z[k] >= t.statistic()) {
                atLeast++;
            }
        }
        double mean = sum / z.length;
        double ss = 0;
        for (double v : z) {
            ss += (v - mean) * (v - mean);
        }
        double sd = Math.sqrt(ss / (z.length - 1));
        double tail = upperTail((t.statistic() - mean) / Math.max(sd, 1e-12));
        return new KeyTest(t, z.length, (1.0 + atLeast) / (1.0 + z.length), tail, mean, sd);
    }

    /**
     * Random keys for {@link #test(NullKeys, float[], float[])}, drawn as described at {@link
     * #test(WatermarkKey, int, int, float[], float[], float[], int, long)}: holds the true key's and
     * each random key's cosine on the probe rows (rows × (1 + count) doubles).
     *
     * @param count random keys, >= 19
     */
    public static NullKeys nullKeys(
            WatermarkKey key, int featureSize, int classes, float[] features, int count, long seed) {
        if (count < 19) {
            throw new IllegalArgumentException("illegal nullKeys value: " + count + ", must be >= 19");
        }
        Watermark truth = new Watermark(key, featureSize, classes);
        Random rng = new Random(seed);
        byte[] secret = new byte[32];
        double[][] cos = new double[count][];
        for (int k = 0; k < count; k++) {
            rng.nextBytes(secret);
            WatermarkKey other = key.dataShaped()
                    ? WatermarkKey.of(secret, features, featureSize, key.amplitude())
                    : WatermarkKey.of(secret, key.scale(), key.amplitude());
            cos[k] = cosine(new Watermark(other, featureSize, classes), features);
        }
        return new NullKeys(truth, features, cosine(truth, features), cos);
    }

    /** Random keys prepared for one key and one set of probe rows; immutable. */
    public static final class NullKeys {
        private final Watermark truth;
        private final float[] features;
        private final double[] truthCos;
        private final double[][] cos;

        private NullKeys(Watermark truth, float[] features, double[] truthCos, double[][] cos) {
            this.truth = truth;
            this.features = features.clone();
            this.truthCos = truthCos;
            this.cos = cos;
        }

        /** Returns the number of random keys. */
        public int count() {
            return cos.length;
        }
    }

    /** Returns cos(2π f ⟨v, x⟩ + φ) of each row. */
    private static double[] cosine(Watermark w, float[] features) {
        int d = w.featureSize();
        int n = features.length / d;
        double[] v = w.direction();
        double[] out = new double[n];
        for (int r = 0; r < n; r++) {
            double t = 0;
            int o = r * d;
            for (int i = 0; i < d; i++) {
                t += v[i] * features[o + i];
            }
            out[r] = Math.cos(2 * Math.PI * w.frequency() * t + w.phase());
        }
        return out;
    }

    /**
     * Tests outputs for the watermark, without a baseline.
     *
     * @param watermark the watermark (built from the key for this input size and class count)
     * @param features the inputs, rows of {@link Watermark#featureSize()} floats
     * @param logProbabilities the suspect's log-probabilities, rows of {@link Watermark#classes()}
     */
    public static Detection detect(Watermark watermark, float[] features, float[] logProbabilities) {
        return detect(watermark, features, logProbabilities, null);
    }

    /**
     * Tests outputs for the watermark, with the clean model's outputs on the same inputs as a
     * baseline: the score is then also residualised on the baseline's log-probabilities, which
     * leaves the suspect's own deviations, where the watermark lives. The provider who holds the
     * key usually holds the clean teacher too.
     *
     * @param baseline the clean teacher's log-probabilities on the same rows, or null for none
     */
    public static Detection detect(Watermark watermark, float[] features, float[] logProbabilities, float[] baseline) {
        return scores(watermark, features, logProbabilities, baseline).detect(cosine(watermark, features));
    }

    private static Scores scores(Watermark watermark, float[] features, float[] logProbabilities, float[] baseline) {
        int c = watermark.classes();
        int n = logProbabilities.length / c;
        if (n < 16
                || logProbabilities.length != n * c
                || features.length != n * watermark.featureSize()
                || (baseline != null && baseline.length != logProbabilities.length)) {
            throw new IllegalArgumentException("watermark detection needs at least 16 rows of "
                    + watermark.featureSize() + " features and " + c + " outputs, got " + n + " rows of outputs and "
                    + features.length + " features");
        }
        int target = watermark.target();
        float[] reference = baseline != null ? baseline : logProbabilities;
        double floor = Math.log(P_FLOOR);
        // Key-independent regressors: a constant, the reference's predicted class (one-hot), the
        // baseline's log-probabilities and the suspect's own log-ratios among the other classes.
        // Under H0 none depends on the key, so removing them keeps the random-key test exact; they
        // explain most of how any model's target score varies (its class structure, how confident
        // it is), while the watermark moves the target class alone.
        int h = 1 + c + (baseline != null ? c : 0) + (c - 1);
        double[][] cols = new double[h][n];
        double[] y = new double[n];
        for (int r = 0; r < n; r++) {
            y[r] = Math.max(logProbabilities[r * c + target], floor);
            cols[0][r] = 1;
            int top = 0;
            for (int k = 1; k < c; k++) {
                top = reference[r * c + k] > reference[r * c + top] ? k : top;
            }
            cols[1 + top][r] = 1;
            int j = 1 + c;
            if (baseline != null) {
                for (int k = 0; k < c; k++) {
                    cols[j++][r] = Math.max(baseline[r * c + k], floor);
                }
            }
            // Centred over the other classes: log q_c - mean log q_c' is the same before and after
            // the watermark's renormalisation by 1 + s, so these carry none of the signal.
            double mean = 0;
            for (int k = 0; k < c; k++) {
                if (k != target) {
                    mean += Math.max(logProbabilities[r * c + k], floor) / (c - 1);
                }
            }
            for (int k = 0; k < c; k++) {
                if (k != target) {
                    cols[j++][r] = Math.max(logProbabilities[r * c + k], floor) - mean;
                }
            }
        }
        double[][] basis = orthonormalise(cols);
        residualise(y, basis);
        return new Scores(y, basis);
    }

    /** The residualised scores of one suspect, ready to be tested against any key. */
    private record Scores(double[] y, double[][] basis) {

        Detection detect(double[] cosine) {
            int n = y.length;
            double[] cos = cosine.clone();
            residualise(cos, basis);
            double yc = 0;
            double yy = 0;
            double cc = 0;
            for (int r = 0; r < n; r++) {
                yc += y[r] * cos[r];
                yy += y[r] * y[r];
                cc += cos[r] * cos[r];
            }
            double corr = yy > 0 && cc > 0 ? yc / Math.sqrt(yy * cc) : 0;
            double z = Math.sqrt(n) * corr;
            return new Detection(n, corr, z, upperTail(z));
        }
    }

    /** Returns P(N(0, 1) >= z), at least {@link Double#MIN_NORMAL}. */
    static double upperTail(double z) {
        return Math.max(0.5 * Erf.erfc(z / Math.sqrt(2)), Double.MIN_NORMAL);
    }

    /** Modified Gram-Schmidt; columns that are (numerically) dependent on earlier ones are dropped. */
    private static double[][] orthonormalise(double[][] cols) {
        java.util.List<double[]> out = new java.util.ArrayList<>();
        for (double[] col : cols) {
            double[] v = col.clone();
            double before = Math.sqrt(dot(v, v));
            for (double[] q : out) {
                double d = dot(v, q);
                for (int i = 0; i < v.length; i++) {
                    v[i] -= d * q[i];
                }
            }
            double norm = Math.sqrt(dot(v, v));
            if (norm > 1e-9 * Math.max(before, 1e-300)) {
                for (int i = 0; i < v.length; i++) {
                    v[i] /= norm;
                }
                out.add(v);
            }
        }
        return out.toArray(new double[0][]);
    }

    private static void residualise(double[] v, double[][] basis) {
        for (double[] q : basis) {
            double d = dot(v, q);
            for (int i = 0; i < v.length; i++) {
                v[i] -= d * q[i];
            }
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
