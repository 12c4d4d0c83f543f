package org.distill4j.guard;

import org.apache.commons.math3.distribution.FDistribution;

/**
 * Tests a suspect's outputs for a {@link Watermark}'s signal: is there power at the key's
 * frequency in the suspect's target-class score as a function of the keyed projection of its
 * inputs?
 *
 * <p>The score of input x is the suspect's centred log-probability of the target class, {@code
 * log q_t(x) - mean_c log q_c(x)} (log-probabilities clipped at ln 1e-7; minus the same of the
 * clean teacher when it is given as a baseline), which a watermarked teacher makes swing with
 * {@code cos(2π f ⟨v,x⟩ + φ)}, most where the target class is otherwise unlikely. The Lomb-Scargle power at f is compared
 * with the mean power at {@value #CONTROLS} control frequencies spaced 1/range(⟨v,x⟩) apart around f
 * (at least 3 spacings away): under H0 (the scores carry no component at f) and approximately
 * Gaussian noise that is locally flat in frequency, the ratio follows an F(2, 2·{@value #CONTROLS})
 * distribution, which gives the p-value. Control frequencies estimate the noise level where it is,
 * so slow structure of the model's outputs (its classes) that leaks into nearby frequencies is
 * accounted for rather than mistaken for the watermark. That F p-value is an approximation; {@link
 * #test} gives an exact one by comparing the true key with random keys, and is what audits use.
 */
public final class WatermarkDetector {

    /** Number of control frequencies. */
    public static final int CONTROLS = 40;

    private static final double LOG_FLOOR = Math.log(1e-7);

    private WatermarkDetector() {}

    /**
     * The detector's answer.
     *
     * @param rows inputs used
     * @param power Lomb-Scargle power at the key's frequency
     * @param controlPower mean power at the control frequencies
     * @param ratio power / controlPower
     * @param pValue P(F(2, 2·controls) >= ratio)
     * @param controls number of control frequencies used
     */
    public record Detection(int rows, double power, double controlPower, double ratio, double pValue, int controls) {}

    /**
     * The answer of the test against random keys.
     *
     * @param key the detection with the true key ({@code key.pValue()} is the F approximation)
     * @param nullKeys how many random keys were tried
     * @param pValue (1 + random keys whose ratio is at least the true key's) / (1 + nullKeys):
     *     exact under H0, at least 1 / (1 + nullKeys)
     * @param tailPValue P(F(2, 2·controls) >= ratio / c), where c scales the F approximation so that
     *     its mean matches the random keys' ratios: an approximation that reaches below 1 / (1 +
     *     nullKeys)
     */
    public record KeyTest(Detection key, int nullKeys, double pValue, double tailPValue) {}

    /**
     * Tests outputs for a key's watermark against random keys: under H0 (the suspect never saw this
     * key's outputs) the secret, drawn at random, is independent of the suspect, so the true key's
     * power ratio is exchangeable with those of other random keys, whatever the structure of the
     * data (clusters, classes) or of the model. This makes the p-value valid where the F
     * approximation's assumption of noise that is flat in frequency fails, e.g. on clustered inputs.
     *
     * @param key the key
     * @param nullKeys random keys to compare with, >= 19 (199 gives p-values down to 0.005)
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
        Detection truth = detect(new Watermark(key, featureSize, classes), features, logProbabilities, baseline);
        java.util.Random rng = new java.util.Random(seed);
        byte[] secret = new byte[32];
        double[] logs = new double[nullKeys];
        int atLeast = 0;
        for (int k = 0; k < nullKeys; k++) {
            rng.nextBytes(secret);
            Watermark w = new Watermark(WatermarkKey.of(secret, key.scale(), key.amplitude()), featureSize, classes);
            double r = detect(w, features, logProbabilities, baseline).ratio();
            if (r >= truth.ratio()) {
                atLeast++;
            }
            logs[k] = Math.log(Math.max(r, 1e-300));
        }
        // The random keys' ratios calibrate the F approximation's scale on these very data: a ratio
        // of c·F(2, 2J) has mean c·2J/(2J - 2).
        double meanRatio =
                java.util.Arrays.stream(logs).map(Math::exp).average().orElseThrow();
        int j2 = 2 * truth.controls();
        double scale = meanRatio * (j2 - 2) / j2;
        double tail = 1 - new FDistribution(null, 2, j2).cumulativeProbability(truth.ratio() / Math.max(scale, 1e-12));
        return new KeyTest(truth, nullKeys, (1.0 + atLeast) / (1.0 + nullKeys), Math.max(tail, Double.MIN_NORMAL));
    }

    /**
     * Tests outputs for the watermark.
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
     * baseline: the score is then the suspect's minus the baseline's, which removes the class
     * structure both share and leaves the suspect's own deviations, where the watermark lives. The
     * provider who holds the key usually holds the clean teacher too.
     *
     * @param baseline the clean teacher's log-probabilities on the same rows, or null for none
     */
    public static Detection detect(Watermark watermark, float[] features, float[] logProbabilities, float[] baseline) {
        int c = watermark.classes();
        int n = logProbabilities.length / c;
        if (n < 16
                || features.length != n * watermark.featureSize()
                || (baseline != null && baseline.length != logProbabilities.length)) {
            throw new IllegalArgumentException("watermark detection needs at least 16 rows of "
                    + watermark.featureSize() + " features and " + c + " outputs, got " + n + " rows of outputs and "
                    + features.length + " features");
        }
        double[] t = new double[n];
        double[] y = new double[n];
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        int target = watermark.target();
        for (int r = 0; r < n; r++) {
            t[r] = watermark.project(features, r * watermark.featureSize());
            lo = Math.min(lo, t[r]);
            hi = Math.max(hi, t[r]);
            y[r] = centred(logProbabilities, r, c, target);
            if (baseline != null) {
                y[r] -= centred(baseline, r, c, target);
            }
        }
        double ym = 0;
        for (double v : y) {
            ym += v / n;
        }
        for (int r = 0; r < n; r++) {
            y[r] -= ym;
        }
        double f = watermark.frequency();
        double step = 1 / Math.max(hi - lo, 1e-9);
        double power = lombScargle(t, y, f);
        double sum = 0;
        int used = 0;
        for (int j = 3; used < CONTROLS && j < 10_000; j++) {
            for (int sign : new int[] {1, -1}) {
                double fj = f + sign * j * step;
                if (used < CONTROLS && fj > 0.25 * f) {
                    sum += lombScargle(t, y, fj);
                    used++;
                }
            }
        }
        double control = sum / used;
        double ratio = control > 0 ? power / control : 0;
        double p = 1 - new FDistribution(null, 2, 2.0 * used).cumulativeProbability(ratio);
        return new Detection(n, power, control, ratio, Math.max(p, Double.MIN_NORMAL), used);
    }

    /** Returns the target's log-probability minus the row's mean, both clipped at ln 1e-7. */
    private static double centred(float[] logP, int row, int classes, int target) {
        double mean = 0;
        for (int k = 0; k < classes; k++) {
            mean += Math.max(logP[row * classes + k], LOG_FLOOR) / classes;
        }
        return Math.max(logP[row * classes + target], LOG_FLOOR) - mean;
    }

    /** Returns the classical Lomb-Scargle power of zero-mean y at frequency f (cycles per unit of t). */
    static double lombScargle(double[] t, double[] y, double f) {
        double w = 2 * Math.PI * f;
        double s2 = 0;
        double c2 = 0;
        for (double ti : t) {
            s2 += Math.sin(2 * w * ti);
            c2 += Math.cos(2 * w * ti);
        }
        double tau = Math.atan2(s2, c2) / (2 * w);
        double yc = 0;
        double ys = 0;
        double cc = 0;
        double ss = 0;
        for (int i = 0; i < t.length; i++) {
            double a = w * (t[i] - tau);
            double cos = Math.cos(a);
            double sin = Math.sin(a);
            yc += y[i] * cos;
            ys += y[i] * sin;
            cc += cos * cos;
            ss += sin * sin;
        }
        return 0.5 * ((cc > 0 ? yc * yc / cc : 0) + (ss > 0 ? ys * ys / ss : 0));
    }
}
