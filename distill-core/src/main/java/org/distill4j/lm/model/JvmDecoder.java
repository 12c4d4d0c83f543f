package org.distill4j.lm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A float32 copy of a {@link Decoder}'s weights that runs inference one position at a time in plain
 * Java, for generation one sequence at a time.
 *
 * <p>Why it exists: decoding one token of a small model through DJL costs one native call per
 * operator (about 110 for a 4-block model, tens of microseconds each), whatever the model's size, so
 * a model with a tenth of another's arithmetic was only 2-3x faster. Here a token costs its
 * arithmetic (matrix-vector products over weights laid out so that the JIT vectorises them) and
 * the memory traffic of its weights, nothing per operator. It computes what
 * {@link Decoder#forward} computes in inference mode (no dropout), to float rounding:
 * {@code JvmDecoderTest} compares the logits of every position with the DJL decoder's.
 *
 * <p>The copy is taken once ({@link #of}); later changes to the DJL parameters are not seen.
 * Immutable and thread-safe; each {@link Session} is one sequence and is not thread-safe.
 */
public final class JvmDecoder {

    /** Coefficients of t^0..t^9 in the exponent of Numerical Recipes' erfc fit (erfcc). */
    private static final double[] ERFC_FIT = {
        -1.26551223,
        1.00002368,
        0.37409196,
        0.09678418,
        -0.18628806,
        0.27886807,
        -1.13520398,
        1.48851587,
        -0.82215223,
        0.17087277
    };

    /** DJL LayerNorm's default epsilon, which {@link Decoder}'s norms use. */
    private static final float LAYER_NORM_EPS = 1e-5f;

    private final DecoderConfig config;
    private final float[] tokenEmbedding; // (V, C)
    private final float[] positionEmbedding; // (context, C) or null
    private final Layer[] layers;
    private final float[] finalGamma;
    private final float[] finalBeta;
    private final float[][] head; // (C, V): input-major
    private final float[] rotaryCos; // (context, D/2) or null
    private final float[] rotarySin;

    /** One block's weights; linear weights input-major: in rows of out. */
    private record Layer(
            float[] gamma1,
            float[] beta1,
            float[][] qkv,
            float[] qkvBias,
            float[][] proj,
            float[] projBias,
            float[] gamma2,
            float[] beta2,
            float[][] fc1,
            float[] fc1Bias,
            float[][] fc2,
            float[] fc2Bias) {}

    private JvmDecoder(DecoderConfig config, Map<String, float[]> w) {
        this.config = config;
        int c = config.width();
        int v = config.vocabSize();
        this.tokenEmbedding = w.get("token_embedding");
        this.positionEmbedding = config.positions() == Positions.LEARNED ? w.get("position_embedding") : null;
        this.layers = new Layer[config.layers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "block" + i + "_";
            layers[i] = new Layer(
                    w.get(p + "ln1_gamma"),
                    w.get(p + "ln1_beta"),
                    inputMajor(w.get(p + "attention_qkv_weight"), 3 * c, c),
                    w.get(p + "attention_qkv_bias"),
                    inputMajor(w.get(p + "attention_proj_weight"), c, c),
                    w.get(p + "attention_proj_bias"),
                    w.get(p + "ln2_gamma"),
                    w.get(p + "ln2_beta"),
                    inputMajor(w.get(p + "fc1_weight"), 4 * c, c),
                    w.get(p + "fc1_bias"),
                    inputMajor(w.get(p + "fc2_weight"), c, 4 * c),
                    w.get(p + "fc2_bias"));
        }
        this.finalGamma = w.get("ln_f_gamma");
        this.finalBeta = w.get("ln_f_beta");
        // The tied head is the token embedding (V, C), i.e. an output-major (V out, C in) weight.
        this.head = inputMajor(config.tiedEmbeddings() ? tokenEmbedding : w.get("head_weight"), v, c);
        if (config.positions() == Positions.ROTARY) {
            int d = config.headWidth();
            int half = d / 2;
            int ctx = config.contextLength();
            rotaryCos = new float[ctx * half];
            rotarySin = new float[ctx * half];
            for (int p = 0; p < ctx; p++) {
                for (int k = 0; k < half; k++) {
                    // The same double-precision angle as Rotary.tables, rounded to float once.
                    double angle = p * Math.pow(10000.0, -2.0 * k / d);
                    rotaryCos[p * half + k] = (float) Math.cos(angle);
                    rotarySin[p * half + k] = (float) Math.sin(angle);
                }
            }
        } else {
            rotaryCos = null;
            rotarySin = null;
        }
    }

    /**
     * Copies the weights of an initialised decoder.
     *
     * @throws IllegalStateException if a parameter the architecture needs is missing or has another
     *     number of values than the architecture says
     */
    public static JvmDecoder of(Decoder decoder) {
        DecoderConfig config = decoder.config();
        Map<String, float[]> weights = new HashMap<>();
        for (Pair<String, Parameter> p : decoder.getParameters()) {
            if (!p.getValue().isInitialized()) {
                throw new IllegalStateException("decoder parameter " + p.getKey() + " is not initialised");
            }
            // DJL prefixes each child's name with its position among its siblings: 01block0_02attention_01qkv_weight
            String name = p.getKey().replaceAll("(^|_)\\d+(?=[a-z])", "$1");
            weights.put(name, p.getValue().getArray().toFloatArray());
        }
        checkSizes(config, weights);
        return new JvmDecoder(config, weights);
    }

    private static void checkSizes(DecoderConfig config, Map<String, float[]> w) {
        long c = config.width();
        long v = config.vocabSize();
        Map<String, Long> expected = new HashMap<>();
        expected.put("token_embedding", v * c);
        if (config.positions() == Positions.LEARNED) {
            expected.put("position_embedding", config.contextLength() * c);
        }
        for (int i = 0; i < config.layers(); i++) {
            String p = "block" + i + "_";
            for (String norm : new String[] {"ln1_", "ln2_"}) {
                expected.put(p + norm + "gamma", c);
                expected.put(p + norm + "beta", c);
            }
            expected.put(p + "attention_qkv_weight", 3 * c * c);
            expected.put(p + "attention_qkv_bias", 3 * c);
            expected.put(p + "attention_proj_weight", c * c);
            expected.put(p + "attention_proj_bias", c);
            expected.put(p + "fc1_weight", 4 * c * c);
            expected.put(p + "fc1_bias", 4 * c);
            expected.put(p + "fc2_weight", 4 * c * c);
            expected.put(p + "fc2_bias", c);
        }
        expected.put("ln_f_gamma", c);
        expected.put("ln_f_beta", c);
        if (!config.tiedEmbeddings()) {
            expected.put("head_weight", v * c);
        }
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            float[] values = w.get(e.getKey());
            if (values == null || values.length != e.getValue()) {
                throw new IllegalStateException("decoder parameter " + e.getKey() + ": expected " + e.getValue()
                        + " values for " + config + ", got " + (values == null ? "none" : values.length));
            }
        }
    }

    /**
     * (out, in) row-major, as DJL's Linear stores it, to one array of {@code out} weights per input:
     * separate arrays, because the JIT vectorises {@code y[o] += x * row[o]} but not the same loop
     * over one flat array at an offset (tools/profile/MatVecLayout.java: 3-5x, docs/lm-benchmarks.md).
     */
    private static float[][] inputMajor(float[] outMajor, int out, int in) {
        float[][] t = new float[in][out];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                t[i][o] = outMajor[o * in + i];
            }
        }
        return t;
    }

    /** Returns the architecture. */
    public DecoderConfig config() {
        return config;
    }

    /** Returns a new, empty sequence. */
    public Session newSession() {
        return new Session();
    }

    /**
     * One sequence being decoded: its key/value cache (float32, context x C per layer and side,
     * allocated once) and scratch buffers. {@link #next} feeds one token and returns the logits that
     * predict the token after it.
     */
    public final class Session {

        // Laid out for loops the JIT vectorises: keys[layer][head][i] holds feature i of every
        // position (scores are rows of them scaled by q[i] and summed), values[layer][head][p] the D
        // features of position p (the output sums them scaled by the weights).
        private final float[][][][] keys;
        private final float[][][][] values;
        private final float[] headOut = new float[config.headWidth()];
        private final float[] x = new float[config.width()];
        private final float[] normed = new float[config.width()];
        private final float[] qkv = new float[3 * config.width()];
        private final float[] attended = new float[config.width()];
        private final float[] hidden = new float[4 * config.width()];
        private final float[] out = new float[config.width()];
        private final float[] scores = new float[config.contextLength()];
        private int length;

        private Session() {
            int ctx = config.contextLength();
            int d = config.headWidth();
            keys = new float[layers.length][config.heads()][d][ctx];
            values = new float[layers.length][config.heads()][ctx][d];
        }

        /** Returns the number of positions fed so far (the absolute position of the next token). */
        public int length() {
            return length;
        }

        /**
         * Replaces what this session holds with the keys and values of {@code prefix} (one
         * sequence, prefilled by the DJL {@link Decoder}), so that decoding continues here from
         * position {@code prefix.length()}: a long prompt is prefilled in one batched pass, the
         * tokens after it one position at a time on the JVM.
         *
         * @throws IllegalArgumentException if the cache holds another number of layers or more
         *     than one sequence
         */
        public void load(KvCache prefix) {
            if (prefix.layers() != layers.length) {
                throw new IllegalArgumentException(
                        "prefix has " + prefix.layers() + " layers, this decoder " + layers.length);
            }
            int t = prefix.length();
            int h = config.heads();
            int d = config.headWidth();
            for (int l = 0; l < layers.length; l++) {
                NDArray[] kv = prefix.cached(l); // (1, H, t, D) each
                try (NDManager scope = kv[0].getManager().newSubManager()) {
                    kv[0].attach(scope);
                    kv[1].attach(scope);
                    if (kv[0].getShape().get(0) != 1) {
                        throw new IllegalArgumentException(
                                "prefix holds " + kv[0].getShape().get(0) + " sequences; a session holds one");
                    }
                    float[] k = kv[0].toFloatArray();
                    float[] v = kv[1].toFloatArray();
                    for (int head = 0; head < h; head++) {
                        for (int p = 0; p < t; p++) {
                            int at = (head * t + p) * d;
                            for (int i = 0; i < d; i++) {
                                keys[l][head][i][p] = k[at + i];
                            }
                            System.arraycopy(v, at, values[l][head][p], 0, d);
                        }
                    }
                }
            }
            length = t;
        }

        /**
         * Returns a new one-sequence {@link KvCache} holding this session's positions, the reverse
         * of {@link #load}: a generation moves from the JVM into a batched DJL pass (a {@link
         * SlotKvCache} slot loads it). Close it.
         *
         * @param parent the manager the cache's own is created under
         */
        public KvCache toKvCache(NDManager parent) {
            int t = length;
            int h = config.heads();
            int d = config.headWidth();
            KvCache cache = new KvCache(parent, layers.length, config.contextLength());
            if (t == 0) {
                return cache;
            }
            try (NDManager scope = parent.newSubManager()) {
                for (int l = 0; l < layers.length; l++) {
                    float[] k = new float[h * t * d]; // (1, H, t, D)
                    float[] v = new float[h * t * d];
                    for (int head = 0; head < h; head++) {
                        for (int p = 0; p < t; p++) {
                            int at = (head * t + p) * d;
                            for (int i = 0; i < d; i++) {
                                k[at + i] = keys[l][head][i][p];
                            }
                            System.arraycopy(values[l][head][p], 0, v, at, d);
                        }
                    }
                    // append copies them into the cache's own buffers
                    Shape shape = new Shape(1, h, t, d);
                    cache.append(l, scope.create(k, shape), scope.create(v, shape));
                }
            } catch (RuntimeException e) {
                cache.close();
                throw e;
            }
            cache.advance(t);
            return cache;
        }

        /** Forgets every position, so that the next token is position 0. */
        public void reset() {
            length = 0;
        }

        /**
         * Feeds the token at position {@link #length()} and returns the logits (V) of the next one.
         *
         * @param token a token id in [0, V)
         * @return a new array of V logits
         * @throws IllegalArgumentException if the token is out of range
         * @throws IllegalStateException if the sequence already holds {@code context_length} positions
         */
        public float[] next(int token) {
            int c = config.width();
            int v = config.vocabSize();
            if (token < 0 || token >= v) {
                throw new IllegalArgumentException("token id " + token + " is not in [0, " + v + ")");
            }
            if (length >= config.contextLength()) {
                throw new IllegalStateException(
                        "position " + length + " exceeds the context length " + config.contextLength());
            }
            System.arraycopy(tokenEmbedding, token * c, x, 0, c);
            if (positionEmbedding != null) {
                for (int i = 0; i < c; i++) {
                    x[i] += positionEmbedding[length * c + i];
                }
            }
            for (int l = 0; l < layers.length; l++) {
                block(l, layers[l]);
            }
            layerNorm(x, finalGamma, finalBeta, normed);
            float[] logits = new float[v];
            matVec(normed, head, null, logits);
            length++;
            return logits;
        }

        private void block(int l, Layer w) {
            int c = config.width();
            layerNorm(x, w.gamma1(), w.beta1(), normed);
            matVec(normed, w.qkv(), w.qkvBias(), qkv);
            if (rotaryCos != null) {
                rotate(qkv, 0);
                rotate(qkv, c);
            }
            int d = config.headWidth();
            for (int h = 0; h < config.heads(); h++) {
                for (int i = 0; i < d; i++) {
                    keys[l][h][i][length] = qkv[c + h * d + i];
                }
                System.arraycopy(qkv, 2 * c + h * d, values[l][h][length], 0, d);
            }
            attend(keys[l], values[l]);
            matVec(attended, w.proj(), w.projBias(), out);
            for (int i = 0; i < c; i++) {
                x[i] += out[i];
            }
            layerNorm(x, w.gamma2(), w.beta2(), normed);
            matVec(normed, w.fc1(), w.fc1Bias(), hidden);
            for (int i = 0; i < hidden.length; i++) {
                hidden[i] = gelu(hidden[i]);
            }
            matVec(hidden, w.fc2(), w.fc2Bias(), out);
            for (int i = 0; i < c; i++) {
                x[i] += out[i];
            }
        }

        /** Rotates each head of the C values at {@code from} by this position ("rotate half"). */
        private void rotate(float[] a, int from) {
            int d = config.headWidth();
            int half = d / 2;
            int row = length * half;
            for (int h = 0; h < config.heads(); h++) {
                int base = from + h * d;
                for (int k = 0; k < half; k++) {
                    float cos = rotaryCos[row + k];
                    float sin = rotarySin[row + k];
                    float x1 = a[base + k];
                    float x2 = a[base + k + half];
                    a[base + k] = x1 * cos - x2 * sin;
                    a[base + k + half] = x2 * cos + x1 * sin;
                }
            }
        }

        /** Causal attention of this position's query (qkv[0, C)) over positions 0..length. */
        private void attend(float[][][] k, float[][][] v) {
            int d = config.headWidth();
            int s = length + 1;
            float scale = (float) (1.0 / Math.sqrt(d));
            for (int h = 0; h < config.heads(); h++) {
                int q0 = h * d;
                Arrays.fill(scores, 0, s, 0f);
                for (int i = 0; i < d; i++) {
                    float qi = qkv[q0 + i];
                    float[] row = k[h][i];
                    for (int j = 0; j < s; j++) {
                        scores[j] += qi * row[j];
                    }
                }
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < s; j++) {
                    scores[j] *= scale;
                    max = Math.max(max, scores[j]);
                }
                float sum = 0;
                for (int j = 0; j < s; j++) {
                    float e = (float) Math.exp(scores[j] - max);
                    scores[j] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                Arrays.fill(headOut, 0f);
                for (int j = 0; j < s; j++) {
                    float wj = scores[j] * inv;
                    float[] vj = v[h][j];
                    for (int i = 0; i < d; i++) {
                        headOut[i] += wj * vj[i];
                    }
                }
                System.arraycopy(headOut, 0, attended, q0, d);
            }
        }
    }

    /**
     * y = x W + b with W input-major (a row of out weights per input): rows scaled by x[i] are
     * accumulated into y, four at a time, a loop the JIT vectorises (a per-output dot product would
     * be a float reduction, which it does not).
     */
    static void matVec(float[] x, float[][] w, float[] bias, float[] y) {
        int in = x.length;
        int out = y.length;
        if (bias == null) {
            Arrays.fill(y, 0f);
        } else {
            System.arraycopy(bias, 0, y, 0, out);
        }
        int i = 0;
        for (; i + 3 < in; i += 4) {
            float x0 = x[i];
            float x1 = x[i + 1];
            float x2 = x[i + 2];
            float x3 = x[i + 3];
            float[] w0 = w[i];
            float[] w1 = w[i + 1];
            float[] w2 = w[i + 2];
            float[] w3 = w[i + 3];
            for (int o = 0; o < out; o++) {
                y[o] += x0 * w0[o] + x1 * w1[o] + x2 * w2[o] + x3 * w3[o];
            }
        }
        for (; i < in; i++) {
            float xi = x[i];
            float[] wi = w[i];
            for (int o = 0; o < out; o++) {
                y[o] += xi * wi[o];
            }
        }
    }

    /** LayerNorm over all of {@code x} (biased variance, epsilon 1e-5), as DJL's. */
    static void layerNorm(float[] x, float[] gamma, float[] beta, float[] y) {
        int n = x.length;
        float mean = 0;
        for (float value : x) {
            mean += value;
        }
        mean /= n;
        float var = 0;
        for (float value : x) {
            float dev = value - mean;
            var += dev * dev;
        }
        var /= n;
        float inv = (float) (1.0 / Math.sqrt(var + LAYER_NORM_EPS));
        for (int i = 0; i < n; i++) {
            y[i] = (x[i] - mean) * inv * gamma[i] + beta[i];
        }
    }

    /** The exact GELU, x Φ(x) = x (1 + erf(x / √2)) / 2, as PyTorch's default (not the tanh form). */
    static float gelu(float x) {
        return (float) (0.5 * x * (1.0 + erf(x / Math.sqrt(2.0))));
    }

    /**
     * The error function to a relative error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev
     * fit of erfc), enough for float32.
     */
    static double erf(double z) {
        double t = 1.0 / (1.0 + 0.5 * Math.abs(z));
        double poly = 0;
        for (int i = ERFC_FIT.length - 1; i >= 0; i--) {
            poly = ERFC_FIT[i] + t * poly;
        }
        double erfc = t * Math.exp(-z * z + poly);
        return z >= 0 ? 1 - erfc : erfc - 1;
    }
}
