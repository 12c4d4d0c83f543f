package org.distill4j.audit;

/** Small numeric helpers over one row of log-probabilities (natural log, C values). */
final class Divergences {

    private Divergences() {}

    /** Returns log-softmax of raw scores (logits or unnormalised log-probabilities). */
    static float[] logSoftmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : z) {
            sum += Math.exp(v - max);
        }
        double log = max + Math.log(sum);
        float[] out = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = (float) (z[i] - log);
        }
        return out;
    }

    /** Returns the Jensen-Shannon divergence of two distributions given as log-probabilities, in nats, in [0, ln 2]. */
    static double jensenShannon(float[] logP, float[] logQ) {
        double js = 0;
        for (int i = 0; i < logP.length; i++) {
            double p = Math.exp(logP[i]);
            double q = Math.exp(logQ[i]);
            double m = 0.5 * (p + q);
            if (m <= 0) {
                continue;
            }
            double logM = Math.log(m);
            if (p > 0) {
                js += 0.5 * p * (logP[i] - logM);
            }
            if (q > 0) {
                js += 0.5 * q * (logQ[i] - logM);
            }
        }
        return Math.max(0, js);
    }

    /** Log-probabilities below this are clipped: the far tail says little and is numerically noisy. */
    static final double LOG_FLOOR = Math.log(1e-6);

    /**
     * Returns a row of log-probabilities clipped at {@link #LOG_FLOOR}, centred and scaled to unit
     * length: the representation the audit's idiosyncrasy correlation compares.
     */
    static double[] centred(float[] logP) {
        double[] v = new double[logP.length];
        double mean = 0;
        for (int c = 0; c < v.length; c++) {
            v[c] = Math.max(logP[c], LOG_FLOOR);
            mean += v[c] / v.length;
        }
        double norm = 0;
        for (int c = 0; c < v.length; c++) {
            v[c] -= mean;
            norm += v[c] * v[c];
        }
        // Unit length: how sharp a model is (its temperature) differs between architectures and says
        // nothing about whom it learnt from; which classes it ranks how is what is inherited.
        norm = Math.sqrt(norm);
        if (norm > 0) {
            for (int c = 0; c < v.length; c++) {
                v[c] /= norm;
            }
        }
        return v;
    }

    /** Returns the index of the largest value (the first on ties). */
    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Returns the top-1 minus top-2 probability. */
    static double margin(float[] logP) {
        double a = Double.NEGATIVE_INFINITY;
        double b = Double.NEGATIVE_INFINITY;
        for (float v : logP) {
            if (v > a) {
                b = a;
                a = v;
            } else if (v > b) {
                b = v;
            }
        }
        return Math.exp(a) - Math.exp(b);
    }
}
