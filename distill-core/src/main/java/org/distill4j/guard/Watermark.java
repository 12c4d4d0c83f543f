package org.distill4j.guard;

/**
 * A keyed watermark in a classifier's soft outputs, after CosWM (Charette et al., AAAI 2022): a
 * probability mass {@code s(x) = ε·(1 + cos(2π f ⟨v, x⟩ + φ))}, in [0, 2ε], is added to the target
 * class and the distribution renormalised ({@code q_t = (p_t + s)/(1 + s)}, {@code q_c = p_c/(1 +
 * s)}), where v, f, φ and the target class come from the {@link WatermarkKey} and x is the input's
 * features: its floats, or for a key over texts ({@link WatermarkKey.Input#NGRAM_IDS}) the bag of
 * the row's hashed n-gram ids, which is what a fastText-style model sees. A student distilled from
 * the outputs learns the target class's probability as a smooth periodic function of its input,
 * which {@link WatermarkDetector} finds at the key's frequency: on inputs where the target class is
 * otherwise unlikely, its log-probability swings with the cosine (measured for MLPs on images;
 * fastText-style students of texts memorised it on their training texts instead, docs/audit.md).
 *
 * <p>Cost: KL(clean ‖ watermarked) = log(1 + s) - p_t·log(1 + s/p_t) &lt;= log(1 + 2ε) on every input,
 * and about s where the target class is unlikely, so the mean is a little under ε: the default ε =
 * {@value WatermarkKey#DEFAULT_AMPLITUDE} costs about 0.008 nats on average on Fashion-MNIST (at most
 * 0.0198 on one input); ε &lt;= 0.005 keeps every input under 0.01 nats. Top-1 is preserved on
 * every input: adding mass to the top class cannot change the arg-max, and where the target class
 * is not on top, s is clipped just short of a tie. (CosWM also spreads mass over the other
 * classes; adding to the target only halves the cost for the same signal.)
 *
 * <p>Probabilities, logits (returned as log q, valid logits of the watermarked distribution) and
 * top-k log-probabilities alike come from q. Immutable and thread-safe; holds key material, so it
 * has no {@code toString} of its own.
 */
public final class Watermark {

    /** How far short of a tie a clipped mass stops, in probability. */
    private static final double TIE_GAP = 1e-4;

    private final double[] direction;
    private final double frequency;
    private final double phase;
    private final double amplitude;
    private final int target;
    private final int classes;
    /** Per group (clean top class) of a grouped key: direction, frequency, phase, target; else null. */
    private final double[][] groupDirection;
    /** Per group, the n-gram ids its direction's values belong to (a text key), or null (dense). */
    private final int[][] groupIds;

    private final int featureSize;

    private final double[] groupFrequency;
    private final double[] groupPhase;
    private final int[] groupTarget;

    /**
     * Creates the watermark of {@code key} for a model.
     *
     * @param featureSize floats per input row
     * @param classes number of classes, at least 2
     */
    public Watermark(WatermarkKey key, int featureSize, int classes) {
        if (classes < 2 || featureSize < 1) {
            throw new IllegalArgumentException(
                    "a watermark needs featureSize >= 1 and classes >= 2, got " + featureSize + " and " + classes);
        }
        this.amplitude = key.amplitude();
        this.classes = classes;
        this.featureSize = featureSize;
        if (key.isGrouped()) {
            if (key.groupedClasses() != classes) {
                throw new IllegalArgumentException("watermark key " + key.fingerprint() + " was drawn for "
                        + key.groupedClasses() + " classes, got a model with " + classes);
            }
            groupDirection = new double[classes][];
            groupIds = key.input() == WatermarkKey.Input.NGRAM_IDS ? new int[classes][] : null;
            groupFrequency = new double[classes];
            groupPhase = new double[classes];
            groupTarget = new int[classes];
            for (int g = 0; g < classes; g++) {
                WatermarkKey.Component c = key.component(g);
                if (groupIds != null) {
                    groupIds[g] = c.ids().clone();
                } else if (c.direction().length != featureSize) {
                    throw new IllegalArgumentException(
                            "watermark key " + key.fingerprint() + " was drawn for inputs of " + c.direction().length
                                    + " floats, got inputs of " + featureSize);
                }
                groupDirection[g] = c.direction().clone();
                groupFrequency[g] = key.frequency(g);
                groupPhase[g] = key.phase(g);
                groupTarget[g] = c.target();
            }
            this.direction = groupDirection[0];
            this.frequency = groupFrequency[0];
            this.phase = groupPhase[0];
            this.target = groupTarget[0];
        } else {
            groupDirection = null;
            groupIds = null;
            groupFrequency = null;
            groupPhase = null;
            groupTarget = null;
            this.direction = key.direction(featureSize);
            this.frequency = key.frequency();
            this.phase = key.phase();
            this.target = key.targetClass(classes);
        }
    }

    /** Returns whether the key is grouped: each clean top class g has its own component. */
    boolean grouped() {
        return groupDirection != null;
    }

    /**
     * Returns the number of components: one per class for a grouped key, else one (for all rows).
     */
    int components() {
        return grouped() ? classes : 1;
    }

    /** Returns component g's target class. */
    int target(int g) {
        return grouped() ? groupTarget[g] : target;
    }

    /** Returns component g's phase. */
    double phase(int g) {
        return grouped() ? groupPhase[g] : phase;
    }

    /** Returns component g's angle 2π f ⟨v, x⟩ for one row, without the phase. */
    double angle(int g, float[] features, int offset) {
        double[] v = grouped() ? groupDirection[g] : direction;
        double f = grouped() ? groupFrequency[g] : frequency;
        if (groupIds != null) {
            return 2 * Math.PI * f * NgramBag.project(groupIds[g], v, features, offset, featureSize);
        }
        double t = 0;
        for (int i = 0; i < v.length; i++) {
            t += v[i] * features[offset + i];
        }
        return 2 * Math.PI * f * t;
    }

    /** Returns the number of floats per input row. */
    public int featureSize() {
        return featureSize;
    }

    /** Returns the number of classes. */
    public int classes() {
        return classes;
    }

    /**
     * Returns watermarked logits (the log-probabilities of the watermarked distribution) for one row.
     *
     * @param features the row's input, {@link #featureSize()} floats from {@code offset}
     * @param logits the clean logits, {@link #classes()} values (not modified)
     */
    public float[] logits(float[] features, int offset, float[] logits) {
        float[] q = probabilities(features, offset, softmax(logits));
        float[] out = new float[classes];
        for (int c = 0; c < classes; c++) {
            out[c] = (float) Math.log(Math.max(q[c], 1e-30));
        }
        return out;
    }

    /** Returns watermarked logits for a batch: rows of {@link #featureSize()} features and {@link #classes()} logits. */
    public float[] logitsBatch(float[] features, float[] logits) {
        int rows = logits.length / classes;
        float[] out = new float[logits.length];
        float[] row = new float[classes];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(logits, r * classes, row, 0, classes);
            System.arraycopy(logits(features, r * featureSize, row), 0, out, r * classes, classes);
        }
        return out;
    }

    /** Returns watermarked probabilities for one row (clean probabilities in, renormalised out). */
    public float[] probabilities(float[] features, int offset, float[] probabilities) {
        checkClasses(probabilities.length);
        int top = argmax(probabilities);
        int g = grouped() ? top : 0;
        int target = target(g);
        double mass = amplitude * (1 + Math.cos(angle(g, features, offset) + phase(g)));
        if (top != target) {
            mass = Math.min(mass, Math.max(0, probabilities[top] - probabilities[target] - TIE_GAP));
        }
        float[] out = new float[classes];
        for (int c = 0; c < classes; c++) {
            out[c] = (float) ((probabilities[c] + (c == target ? mass : 0)) / (1 + mass));
        }
        return out;
    }

    /** Returns softmax of logits. */
    static float[] softmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            e[i] = Math.exp(z[i] - max);
            sum += e[i];
        }
        float[] out = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = (float) (e[i] / sum);
        }
        return out;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private void checkClasses(int n) {
        if (n != classes) {
            throw new IllegalArgumentException("watermark built for " + classes + " classes got " + n + " outputs");
        }
    }

    /**
     * What the watermark costs honest users, measured on a set of outputs.
     *
     * @param rows rows measured
     * @param top1Unchanged share of rows whose arg-max is unchanged, in [0, 1]
     * @param meanKl mean KL(clean ‖ watermarked), nats
     * @param maxKl largest KL(clean ‖ watermarked), nats
     */
    public record Utility(int rows, double top1Unchanged, double meanKl, double maxKl) {}

    /** Measures {@link Utility} on clean logits of a batch (rows of features and logits). */
    public Utility measure(float[] features, float[] logits) {
        int rows = logits.length / classes;
        float[] wm = logitsBatch(features, logits);
        int same = 0;
        double sum = 0;
        double max = 0;
        float[] a = new float[classes];
        float[] b = new float[classes];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(logits, r * classes, a, 0, classes);
            System.arraycopy(wm, r * classes, b, 0, classes);
            if (argmax(a) == argmax(b)) {
                same++;
            }
            float[] p = softmax(a);
            float[] q = softmax(b);
            double kl = 0;
            for (int c = 0; c < classes; c++) {
                if (p[c] > 0) {
                    kl += p[c] * (Math.log(p[c]) - Math.log(Math.max(q[c], 1e-30)));
                }
            }
            kl = Math.max(0, kl);
            sum += kl;
            max = Math.max(max, kl);
        }
        return new Utility(rows, (double) same / rows, sum / rows, max);
    }
}
