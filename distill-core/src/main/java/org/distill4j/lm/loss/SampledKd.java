package org.distill4j.lm.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random-sampling KD (Anshumann et al., ACL 2025, "Sparse Logit Sampling"): at each position n
 * tokens are drawn with replacement from the teacher's distribution at temperature T; the unique
 * ids are kept with weight {@code count / n}, an unbiased estimate p̂ of p_T (E[p̂(v)] = p_T(v)),
 * so the gradient of the loss below is an unbiased estimate of the full-KL gradient, which a top-k
 * cache is not. The proposal here is p_T itself (the paper's t = 1), where the importance weights
 * reduce to counts.
 *
 * <pre>
 *   kd   = T^2 * sum_j w_j (log w_j - log q_T(id_j))     (w_j = count_j / n, 0 log 0 = 0)
 *   loss = alpha * mean_pos kd + (1 - alpha) * mean_pos CE
 * </pre>
 */
public final class SampledKd implements SequenceLoss {

    private final int samples;
    private final double temperature;
    private final double alpha;

    /**
     * @param samples draws per position, in [1, 1024] (about 12 unique ids match full KD in the paper's setting)
     * @param temperature T, positive and finite
     * @param alpha weight of the KD term, in [0, 1]
     */
    public SampledKd(int samples, double temperature, double alpha) {
        if (samples < 1 || samples > 1024) {
            throw new IllegalArgumentException("illegal samples value: " + samples + ", must be in [1, 1024]");
        }
        Positionwise.checkTemperature(temperature);
        Positionwise.checkAlpha(alpha);
        this.samples = samples;
        this.temperature = temperature;
        this.alpha = alpha;
    }

    /**
     * Draws the sparse targets in Java, so a seed gives the same ids on every engine: position
     * {@code i} (row-major over B x T) uses a generator split deterministically from {@code seed}.
     */
    @Override
    public TeacherTargets targetsFrom(NDArray teacherLogits, long seed) {
        Shape s = teacherLogits.getShape();
        int positions = (int) (s.get(0) * s.get(1));
        int v = (int) s.get(2);
        float[] logits = teacherLogits.toType(DataType.FLOAT32, false).toFloatArray();
        long[] ids = new long[positions * samples];
        float[] weights = new float[positions * samples];
        double[] cdf = new double[v];
        int[] counts = new int[v];
        SplittableRandom root = new SplittableRandom(seed);
        for (int pos = 0; pos < positions; pos++) {
            SplittableRandom random = root.split();
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) {
                max = Math.max(max, logits[pos * v + j] / temperature);
            }
            double sum = 0;
            for (int j = 0; j < v; j++) {
                sum += Math.exp(logits[pos * v + j] / temperature - max);
                cdf[j] = sum;
            }
            Arrays.fill(counts, 0);
            for (int d = 0; d < samples; d++) {
                double u = random.nextDouble() * sum;
                int j = Arrays.binarySearch(cdf, u);
                j = j >= 0 ? j + 1 : -j - 1;
                counts[Math.min(j, v - 1)]++;
            }
            int n = 0;
            for (int j = 0; j < v; j++) {
                if (counts[j] > 0) {
                    ids[pos * samples + n] = j;
                    weights[pos * samples + n] = counts[j] / (float) samples;
                    n++;
                }
            }
        }
        NDManager m = teacherLogits.getManager();
        Shape out = new Shape(s.get(0), s.get(1), samples);
        return new TeacherTargets.Sampled(m.create(ids, out), m.create(weights, out));
    }

    @Override
    public Terms terms(NDArray student, NDArray targets, TeacherTargets teacher) {
        Positionwise.checkShapes(student, targets);
        NDArray soft = null;
        if (alpha > 0) {
            TeacherTargets.Sampled sampled = Positionwise.expect(TeacherTargets.Sampled.class, teacher, this);
            long n = sampled.ids().getShape().get(2);
            Positionwise.checkTeacher("ids", sampled.ids(), student, n);
            Positionwise.checkTeacher("weights", sampled.weights(), student, n);
            NDArray ids = sampled.ids().toType(DataType.INT64, false);
            NDArray w = sampled.weights().toType(student.getDataType(), false).stopGradient();
            NDArray logQ =
                    Positionwise.times(student, 1.0 / temperature).logSoftmax(2).gather(ids, 2);
            NDArray present = w.gt(0f).toType(student.getDataType(), false);
            NDArray logW = w.maximum(1e-30f).log();
            NDArray kd = w.mul(logW.sub(logQ)).mul(present).sum(new int[] {2});
            NDArray mean = Positionwise.maskedMean(kd, Positionwise.mask(targets, student.getDataType()));
            soft = Positionwise.times(mean, alpha * temperature * temperature);
        }
        NDArray hard = alpha < 1 ? Positionwise.times(Positionwise.crossEntropy(student, targets), 1 - alpha) : null;
        return Terms.of(soft, hard);
    }

    @Override
    public String toString() {
        return "SampledKD(n=" + samples + ", T=" + temperature + ", alpha=" + alpha + ")";
    }
}
