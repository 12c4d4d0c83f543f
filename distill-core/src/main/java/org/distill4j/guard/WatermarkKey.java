package org.distill4j.guard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The secret of a watermark, as kept in its own key file, and the parameters derived from it.
 *
 * <p>The key file is JSON: {@code {"format": "distill4j-watermark-key", "secret": HEX (32 bytes),
 * "scale": S, "amplitude": ε, "direction": BASE64}}, or, for a <em>grouped</em> key ({@link
 * #grouped}, what {@code distill audit --generate-watermark-key} writes), {@code "input": "dense" |
 * "ngram_ids", "components": [{"group": g, "target": t, "scale": S_g, "direction": BASE64, "ids":
 * BASE64}, ...]} with one component per class instead of the direction; {@code ids} (little-endian
 * int32) only for a key over texts ({@link Input#NGRAM_IDS}), whose directions are sparse and, as
 * {@link #grouped(byte[], float[], int, int, double, Input)} makes them, one for all components,
 * stored once as the top-level {@code direction} and {@code ids}. From the secret are derived, deterministically:
 * the target class, the frequency f in [{@value #MIN_FREQUENCY}, {@value #MAX_FREQUENCY}] cycles per
 * {@code scale} units of v·x, a phase, and the unit projection direction v.
 *
 * <p>The direction is <em>data-shaped</em> for keys made from typical inputs ({@link
 * #generate(float[], int, double)}): v = Σ_r g_r (x_r - x̄) over the sample rows, with Gaussian
 * weights g from the secret, so v is distributed as N(0, Σ) of the inputs' covariance and points
 * where the inputs vary most ({@value #CANDIDATES} draw; see {@link #CANDIDATES}). A student can learn a periodic function along such a direction from
 * its transfer set; along an isotropic random direction in a high-dimensional input space (most of
 * whose variance lies in directions the student hardly sees) it could not: measured on
 * Fashion-MNIST, docs/audit.md. It depends on the sample, so it is stored (little-endian float32,
 * base64) in the key file. Keys without a stored direction (made by {@link #of(byte[], double,
 * double)} or {@link #generate(double, double)}) use an isotropic direction from the secret.
 * {@code scale} (the spread of v·x on typical inputs) and {@code amplitude} (ε, the probability
 * mass, see {@link Watermark}) are not secret but live in the same file.
 *
 * <p>Secrecy: the secret and everything derived from it stay in this object; {@link #toString()}
 * shows only a fingerprint (a hash of a hash, which reveals nothing usable), and no message of
 * this class quotes the file's content. The file is written owner-readable only where the file
 * system allows.
 */
public final class WatermarkKey {

    /** Lowest frequency, in cycles per scale unit of the projection. */
    public static final double MIN_FREQUENCY = 1.5;
    /** Highest frequency, in cycles per scale unit of the projection. */
    public static final double MAX_FREQUENCY = 2;

    /**
     * Lowest frequency of a key over texts: a bag model's estimate of the projection is coarser
     * (a few embedding dimensions shared with the task, hashed buckets), and fewer cycles over the
     * inputs' range are easier for its one hidden layer to follow.
     */
    public static final double MIN_TEXT_FREQUENCY = 0.5;

    /** Highest frequency of a key over texts. */
    public static final double MAX_TEXT_FREQUENCY = 1;

    /**
     * Directions drawn for a data-shaped key; the one whose projection spreads the rows most is
     * kept. One: keeping the widest of 8 made students learn the signal better but, drawn from the
     * provider's training rows while the random keys are drawn from the probe rows, it also made
     * the test flag a student of the clean teacher (p = 0.01, tail p = 0.003), so it is not used.
     */
    public static final int CANDIDATES = 1;

    /**
     * Sample rows each component of a grouped key draws its direction from, and measures its scale
     * on: a direction made of a few inputs (minus their mean) spreads typical inputs widely and a
     * student learns a cosine along it far better than along one drawn from thousands of rows
     * (docs/audit.md). The p-value does not depend on how the directions are drawn.
     */
    public static final int DIRECTION_ROWS = 16;

    /** Default ε of a new key: mean KL to the clean output about 0.008 nats on Fashion-MNIST. */
    public static final double DEFAULT_AMPLITUDE = 0.01;

    private static final String FORMAT = "distill4j-watermark-key";

    private final byte[] secret;
    private final double scale;
    private final double amplitude;
    /** The data-shaped unit direction, or null for an isotropic one derived from the secret. */
    private final double[] storedDirection;
    /** A grouped key's components, one per class (the group of rows the clean model puts on top); or null. */
    private final Component[] components;

    /**
     * One component of a grouped key: for rows whose clean top class is {@code group}, the mass goes
     * to {@code target} along the data-shaped unit {@code direction}, whose projection spreads the
     * group's rows by {@code scale}. Frequency and phase come from the secret.
     */
    record Component(int group, int target, double scale, double[] direction, int[] ids) {

        /** A component over the input's floats ({@link Input#DENSE}). */
        Component(int group, int target, double scale, double[] direction) {
            this(group, target, scale, direction, null);
        }
    }

    /**
     * What a key's directions are drawn over, and so which models it can watermark.
     *
     * <ul>
     *   <li>{@code DENSE}: the input's floats (an image's pixels, a feature vector); a direction has
     *       one value per float and v·x is their dot product.
     *   <li>{@code NGRAM_IDS}: a text row of hashed n-gram ids ({@link org.distill4j.data.TextFeatures},
     *       0 for padding). The input is read as its <em>bag</em>, each id's count over the number of
     *       ids, which is exactly what a fastText-style model averages its embeddings over; a
     *       direction is sparse, values for the ids of a few sample texts, and v·x is the mean of
     *       v(id) over the row's ids (0 for an id the direction does not name).
     * </ul>
     */
    public enum Input {
        DENSE,
        NGRAM_IDS;

        /** Returns the key file's name for this input: {@code dense} or {@code ngram_ids}. */
        public String fileName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Sample rows (the first ones) a text ({@link Input#NGRAM_IDS}) key draws its direction from
     * and measures its scale on.
     */
    static final int TEXT_SCALE_ROWS = 2000;

    /**
     * Ids a text key's direction weighs: the ones that occur in the most sample rows (see {@link
     * NgramBag#frequent}).
     */
    static final int TEXT_DIRECTION_IDS = 256;

    private WatermarkKey(byte[] secret, double scale, double amplitude) {
        this(secret, scale, amplitude, null);
    }

    private WatermarkKey(byte[] secret, double scale, double amplitude, double[] storedDirection) {
        this(secret, scale, amplitude, storedDirection, null);
    }

    private WatermarkKey(
            byte[] secret, double scale, double amplitude, double[] storedDirection, Component[] components) {
        if (secret.length < 16) {
            throw new IllegalArgumentException("watermark key secret must be at least 16 bytes, got " + secret.length);
        }
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("illegal scale value: " + scale + ", must be a finite value > 0");
        }
        if (!(amplitude > 0 && amplitude <= 0.25)) {
            throw new IllegalArgumentException("illegal amplitude value: " + amplitude + ", must be in (0, 0.25]");
        }
        this.secret = secret.clone();
        this.scale = scale;
        this.amplitude = amplitude;
        this.storedDirection = storedDirection == null ? null : storedDirection.clone();
        if (components != null) {
            for (int g = 0; g < components.length; g++) {
                Component c = components[g];
                int n = components.length;
                if (c.group() != g || c.target() < 0 || c.target() >= n || c.target() == g) {
                    throw new IllegalArgumentException("component " + g + " of a watermark key for " + n
                            + " classes must have group " + g + " and a target in [0, " + n + ") other than " + g
                            + ", got group " + c.group() + " and target " + c.target());
                }
                if (!(c.scale() > 0) || Double.isInfinite(c.scale()) || c.direction().length == 0) {
                    throw new IllegalArgumentException(
                            "component " + g + ": illegal scale value " + c.scale() + " or empty direction");
                }
                if ((c.ids() == null) != (components[0].ids() == null)) {
                    throw new IllegalArgumentException("the components of a watermark key must all be over the same "
                            + "input (all with ids, for text, or none)");
                }
                if (c.ids() != null) {
                    checkIds(c.ids(), c.direction().length, g);
                } else if (c.direction().length != components[0].direction().length) {
                    throw new IllegalArgumentException("component " + g + "'s direction has " + c.direction().length
                            + " values, component 0's " + components[0].direction().length);
                }
            }
        }
        this.components = components == null ? null : components.clone();
    }

    private static void checkIds(int[] ids, int values, int g) {
        if (ids.length != values) {
            throw new IllegalArgumentException(
                    "component " + g + " has " + ids.length + " ids and " + values + " direction values");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 1 || ids[i] >= org.distill4j.data.TextFeatures.ID_SPACE || (i > 0 && ids[i] <= ids[i - 1])) {
                throw new IllegalArgumentException("component " + g + ": ids must ascend strictly within [1, "
                        + org.distill4j.data.TextFeatures.ID_SPACE + "), got " + ids[i] + " at " + i);
            }
        }
    }

    /**
     * Returns the grouped key of known bytes: one component per class g, used on the rows whose
     * clean top class is g. Each component has its own data-shaped direction drawn (as in {@link
     * #of(byte[], float[], int, double)}) from {@value #DIRECTION_ROWS} sample rows chosen by the
     * secret, its scale their spread along it, a target class other than g drawn from the secret,
     * and its own
     * frequency and phase from the secret; the phases are what {@link WatermarkDetector} tests.
     *
     * @param features sample rows of {@code featureSize} floats (typical inputs, a few thousand)
     */
    public static WatermarkKey grouped(
            byte[] secret, float[] features, int featureSize, int classes, double amplitude) {
        return grouped(secret, features, featureSize, classes, amplitude, Input.DENSE);
    }

    /**
     * Returns a new random <em>grouped</em> key for inputs of the given kind (see {@link
     * #grouped(byte[], float[], int, int, double, Input)}): the design that the audit can test with
     * an exact p-value at any depth.
     */
    public static WatermarkKey generateGrouped(
            float[] features, int featureSize, int classes, double amplitude, Input input) {
        byte[] s = new byte[32];
        new SecureRandom().nextBytes(s);
        return grouped(s, features, featureSize, classes, amplitude, input);
    }

    /**
     * Returns the grouped key of known bytes for inputs of the given kind. For {@link Input#DENSE}
     * as {@link #grouped(byte[], float[], int, int, double)}. For {@link Input#NGRAM_IDS} (texts) the
     * components differ in their target and phase only: one sparse direction over the {@value
     * #TEXT_DIRECTION_IDS} ids most of the first {@value #TEXT_SCALE_ROWS} sample rows contain, with
     * Gaussian weights from the secret, its scale the projection's spread over those rows, one
     * frequency in [{@value #MIN_TEXT_FREQUENCY}, {@value #MAX_TEXT_FREQUENCY}] cycles per scale, and
     * targets that make a cyclic permutation of the classes. Why: a fastText-style student sees a
     * text through a mean embedding of a few dimensions, so it could follow one projection, not one
     * per class. Measured (docs/audit.md): students memorise the signal on the texts they trained
     * on but carry little of it to new texts, with this design as with per-class directions. The
     * exact p-value needs only the phases to be independent.
     *
     * @param features sample rows of {@code featureSize} floats: pixels or features, or n-gram ids
     */
    public static WatermarkKey grouped(
            byte[] secret, float[] features, int featureSize, int classes, double amplitude, Input input) {
        int n = features.length / featureSize;
        if (classes < 2 || n < 2 || features.length != n * featureSize) {
            throw new IllegalArgumentException("a grouped watermark key needs >= 2 classes and >= 2 whole rows of "
                    + featureSize + " features, got " + classes + " classes and " + features.length + " floats");
        }
        WatermarkKey k = new WatermarkKey(secret, 1, amplitude);
        Component[] comps = new Component[classes];
        if (input == Input.NGRAM_IDS) {
            NgramBag.Direction v = NgramBag.frequent(
                    Arrays.copyOf(features, Math.min(n, TEXT_SCALE_ROWS) * featureSize),
                    featureSize,
                    TEXT_DIRECTION_IDS,
                    k.stream("direction:shared"));
            double spread = NgramBag.spread(v, features, featureSize, Math.min(n, TEXT_SCALE_ROWS));
            // Each class is the target of exactly one group (a cyclic permutation, Sattolo's
            // algorithm): a student can then raise each class's probability by one function of the
            // projection on every row, which costs it little where the class is unlikely, instead of
            // learning which group a row is in.
            int[] target = new int[classes];
            Arrays.setAll(target, i -> i);
            Rng r = k.stream("targets");
            for (int i = classes - 1; i > 0; i--) {
                int j = (int) Long.remainderUnsigned(r.nextLong(), i);
                int t = target[i];
                target[i] = target[j];
                target[j] = t;
            }
            for (int g = 0; g < classes; g++) {
                comps[g] = new Component(g, target[g], spread, v.values(), v.ids());
            }
            return new WatermarkKey(secret, 1, amplitude, null, comps);
        }
        for (int g = 0; g < classes; g++) {
            float[] rows = k.sampleRows(features, featureSize, "rows:" + g);
            double[] v = k.dataDirection(rows, featureSize, "direction:" + g);
            double spread = new WatermarkKey(secret, 1, amplitude, v).projectionSpread(rows, featureSize);
            comps[g] = new Component(g, k.drawTarget(g, classes), spread, v);
        }
        return new WatermarkKey(secret, 1, amplitude, null, comps);
    }

    /** Returns {@value #DIRECTION_ROWS} rows (or all, if fewer) the stream {@code purpose} picks, with replacement. */
    private float[] sampleRows(float[] features, int featureSize, String purpose) {
        int n = features.length / featureSize;
        int m = Math.min(DIRECTION_ROWS, n);
        float[] rows = new float[m * featureSize];
        Rng pick = stream(purpose);
        for (int i = 0; i < m; i++) {
            int r = m == n ? i : (int) Long.remainderUnsigned(pick.nextLong(), n);
            System.arraycopy(features, r * featureSize, rows, i * featureSize, featureSize);
        }
        return rows;
    }

    /** Returns component g's target class: any class but g, from the secret. */
    private int drawTarget(int g, int classes) {
        int draw = (int) Long.remainderUnsigned(stream("class:" + g).nextLong(), classes - 1);
        return draw >= g ? draw + 1 : draw;
    }

    /** Returns whether this is a grouped key (one component per class). */
    public boolean isGrouped() {
        return components != null;
    }

    /** Returns the classes of a grouped key, or 0 for a single-component one. */
    public int groupedClasses() {
        return components == null ? 0 : components.length;
    }

    /** Returns what this key's directions are over ({@link Input#DENSE} for a single-component key). */
    public Input input() {
        return components != null && components[0].ids() != null ? Input.NGRAM_IDS : Input.DENSE;
    }

    /** Returns component g of a grouped key. */
    Component component(int g) {
        return components[g];
    }

    /** Returns component g's frequency in cycles per unit of the raw projection. */
    double frequency(int g) {
        // A text key's components share one frequency, as they share one direction (see grouped).
        boolean text = input() == Input.NGRAM_IDS;
        double u = (stream(text ? "frequency:shared" : "frequency:" + g).nextLong() >>> 11) * 0x1.0p-53;
        double min = text ? MIN_TEXT_FREQUENCY : MIN_FREQUENCY;
        double max = text ? MAX_TEXT_FREQUENCY : MAX_FREQUENCY;
        return (min + u * (max - min)) / components[g].scale();
    }

    /** Returns component g's phase in [0, 2π). */
    double phase(int g) {
        return 2 * Math.PI * ((stream("phase:" + g).nextLong() >>> 11) * 0x1.0p-53);
    }

    /** Draws a data-shaped unit direction (rounded to float, as stored) from rows with the stream {@code purpose}. */
    private double[] dataDirection(float[] features, int featureSize, String purpose) {
        int n = features.length / featureSize;
        double[] mean = new double[featureSize];
        for (int row = 0; row < n; row++) {
            int o = row * featureSize;
            for (int i = 0; i < featureSize; i++) {
                mean[i] += features[o + i] / (double) n;
            }
        }
        Rng r = stream(purpose);
        double[] v = new double[featureSize];
        for (int row = 0; row < n; row++) {
            double g = r.nextGaussian();
            int o = row * featureSize;
            for (int i = 0; i < featureSize; i++) {
                v[i] += g * (features[o + i] - mean[i]);
            }
        }
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        if (!(norm > 0)) {
            throw new IllegalArgumentException("the rows do not vary: no watermark direction can be drawn from them");
        }
        for (int i = 0; i < featureSize; i++) {
            // Rounded to float as stored, so that a key in memory and the same key read back agree.
            v[i] = (float) (v[i] / norm);
        }
        return v;
    }

    /** Returns a new random key (32 bytes from {@link SecureRandom}). */
    public static WatermarkKey generate(double scale, double amplitude) {
        byte[] s = new byte[32];
        new SecureRandom().nextBytes(s);
        return new WatermarkKey(s, scale, amplitude);
    }

    /**
     * Returns a new random key with a data-shaped direction drawn from typical inputs (e.g. a sample
     * of the training set, a few thousand rows) and, as scale, the standard deviation of its
     * projection over them.
     *
     * @param features rows of {@code featureSize} floats, at least 2 rows
     */
    public static WatermarkKey generate(float[] features, int featureSize, double amplitude) {
        byte[] s = new byte[32];
        new SecureRandom().nextBytes(s);
        return of(s, features, featureSize, amplitude);
    }

    /**
     * Returns the key of known bytes with a data-shaped direction drawn from {@code features} (for
     * tests, reproducible evaluations and the detector's random keys).
     *
     * @param features rows of {@code featureSize} floats, at least 2 rows
     */
    public static WatermarkKey of(byte[] secret, float[] features, int featureSize, double amplitude) {
        int n = features.length / featureSize;
        if (n < 2 || features.length != n * featureSize) {
            throw new IllegalArgumentException("need at least 2 whole rows of " + featureSize
                    + " features to draw a watermark direction, got " + features.length + " floats");
        }
        WatermarkKey k = new WatermarkKey(secret, 1, amplitude);
        // The spread of such directions varies widely from draw to draw (1.1 to 3.9 over 20 keys on
        // Fashion-MNIST), and a student learns the signal along a widely spread one much better;
        // see CANDIDATES for why only one is drawn. Random keys in the detector are drawn the same way.
        WatermarkKey best = null;
        for (int c = 0; c < CANDIDATES; c++) {
            double[] v = k.dataDirection(features, featureSize, c == 0 ? "data-direction" : "data-direction:" + c);
            WatermarkKey shaped = new WatermarkKey(secret, 1, amplitude, v);
            double spread = shaped.projectionSpread(features, featureSize);
            if (best == null || spread > best.scale) {
                best = new WatermarkKey(secret, spread, amplitude, v);
            }
        }
        return best;
    }

    /** Returns whether the direction is data-shaped (stored) rather than isotropic. */
    public boolean dataShaped() {
        return storedDirection != null || components != null;
    }

    /** Returns the standard deviation of ⟨v, x⟩ over the rows. */
    double projectionSpread(float[] features, int featureSize) {
        int n = features.length / featureSize;
        if (n < 2) {
            throw new IllegalArgumentException("need at least 2 rows to measure the projection's spread, got " + n);
        }
        double[] v = direction(featureSize);
        double sum = 0;
        double sq = 0;
        for (int r = 0; r < n; r++) {
            double t = 0;
            for (int i = 0; i < featureSize; i++) {
                t += v[i] * features[r * featureSize + i];
            }
            sum += t;
            sq += t * t;
        }
        double mean = sum / n;
        return Math.sqrt(Math.max(sq / n - mean * mean, 1e-12));
    }

    /** Returns a key from known bytes (for tests and reproducible evaluations). */
    public static WatermarkKey of(byte[] secret, double scale, double amplitude) {
        return new WatermarkKey(secret, scale, amplitude);
    }

    /**
     * Reads a key file.
     *
     * @throws IOException if it is missing or malformed; the message names the file and field, never the content
     */
    public static WatermarkKey load(Path file) throws IOException {
        JsonNode n = KeyFiles.read(file, FORMAT);
        byte[] s;
        try {
            s = HexFormat.of().parseHex(n.path("secret").asText());
        } catch (IllegalArgumentException e) {
            throw new IOException("watermark key file " + file + ": field secret must be hexadecimal (not shown)");
        }
        if (!n.path("scale").isNumber() || !n.path("amplitude").isNumber()) {
            throw new IOException("watermark key file " + file + ": fields scale and amplitude must be numbers");
        }
        double[] direction = null;
        if (n.hasNonNull("direction")) {
            direction = floats(n.get("direction").asText(), file, "direction");
        }
        Input input;
        String in = n.path("input").asText("dense");
        if (in.equals(Input.DENSE.fileName())) {
            input = Input.DENSE;
        } else if (in.equals(Input.NGRAM_IDS.fileName())) {
            input = Input.NGRAM_IDS;
        } else {
            throw new IOException(
                    "watermark key file " + file + ": field input must be 'dense' or 'ngram_ids', got '" + in + "'");
        }
        if (input == Input.NGRAM_IDS && !n.hasNonNull("components")) {
            throw new IOException("watermark key file " + file + ": input 'ngram_ids' needs components");
        }
        Component[] comps = null;
        if (n.hasNonNull("components")) {
            JsonNode cs = n.get("components");
            if (!cs.isArray() || cs.size() < 2) {
                throw new IOException("watermark key file " + file + ": field components must be an array of >= 2");
            }
            comps = new Component[cs.size()];
            for (int g = 0; g < comps.length; g++) {
                JsonNode c = cs.get(g);
                if (!c.path("group").isInt()
                        || !c.path("target").isInt()
                        || !c.path("scale").isNumber()) {
                    throw new IOException("watermark key file " + file + ": components[" + g
                            + "] needs integer group and target and a number scale");
                }
                // A text key stores its shared direction once, at the top level (see save).
                boolean shared = input == Input.NGRAM_IDS && !c.hasNonNull("direction");
                if (shared && direction == null) {
                    throw new IOException("watermark key file " + file + ": components[" + g
                            + "] has no direction and the file has no shared direction");
                }
                int[] ids = null;
                if (input == Input.NGRAM_IDS) {
                    ids = shared
                            ? ints(n.path("ids").asText(), file, "ids")
                            : ints(c.path("ids").asText(), file, "components[" + g + "].ids");
                }
                comps[g] = new Component(
                        c.get("group").asInt(),
                        c.get("target").asInt(),
                        c.get("scale").asDouble(),
                        shared
                                ? direction
                                : floats(c.path("direction").asText(), file, "components[" + g + "].direction"),
                        ids);
            }
            if (input == Input.NGRAM_IDS) {
                direction = null;
            }
        }
        try {
            return new WatermarkKey(
                    s, n.get("scale").asDouble(), n.get("amplitude").asDouble(), direction, comps);
        } catch (IllegalArgumentException e) {
            throw new IOException("watermark key file " + file + ": " + e.getMessage());
        }
    }

    private static double[] floats(String base64, Path file, String field) throws IOException {
        ByteBuffer b = words(base64, file, field, "float32");
        double[] v = new double[b.remaining() / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getFloat();
        }
        return v;
    }

    private static int[] ints(String base64, Path file, String field) throws IOException {
        ByteBuffer b = words(base64, file, field, "int32");
        int[] v = new int[b.remaining() / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getInt();
        }
        return v;
    }

    /** Decodes a field of base64 little-endian 4-byte values; the message never quotes the content. */
    private static ByteBuffer words(String base64, Path file, String field, String type) throws IOException {
        ByteBuffer b;
        try {
            b = ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IllegalArgumentException e) {
            b = ByteBuffer.allocate(0);
        }
        if (b.remaining() == 0 || b.remaining() % 4 != 0) {
            throw new IOException("watermark key file " + file + ": field " + field
                    + " must be base64 of little-endian " + type + " values (not shown)");
        }
        return b;
    }

    private static String base64(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : v) {
            b.putInt(i);
        }
        return Base64.getEncoder().encodeToString(b.array());
    }

    private static String base64(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v) {
            b.putFloat((float) d);
        }
        return Base64.getEncoder().encodeToString(b.array());
    }

    /** Writes this key to its own file, atomically, owner-readable only where supported. */
    public void save(Path file) throws IOException {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("format", FORMAT);
        n.put("secret", HexFormat.of().formatHex(secret));
        n.put("scale", scale);
        n.put("amplitude", amplitude);
        if (storedDirection != null) {
            n.put("direction", base64(storedDirection));
        }
        if (components != null) {
            n.put("input", input().fileName());
            // Components that share one sparse direction (every text key grouped() makes) store it once.
            boolean shared = input() == Input.NGRAM_IDS;
            for (Component c : components) {
                shared &= Arrays.equals(c.ids(), components[0].ids())
                        && Arrays.equals(c.direction(), components[0].direction());
            }
            if (shared) {
                n.put("direction", base64(components[0].direction()));
                n.put("ids", base64(components[0].ids()));
            }
            var cs = n.putArray("components");
            for (Component c : components) {
                ObjectNode o = cs.addObject();
                o.put("group", c.group());
                o.put("target", c.target());
                o.put("scale", c.scale());
                if (!shared) {
                    o.put("direction", base64(c.direction()));
                    if (c.ids() != null) {
                        o.put("ids", base64(c.ids()));
                    }
                }
            }
        }
        KeyFiles.write(file, n);
    }

    /** Returns the spread of the projection on typical inputs, the unit of the frequency. */
    public double scale() {
        return scale;
    }

    /** Returns ε, half the largest probability mass added to the target class. */
    public double amplitude() {
        return amplitude;
    }

    /** Returns the target class for a model with {@code classes} classes. */
    int targetClass(int classes) {
        return (int) Long.remainderUnsigned(stream("class").nextLong(), classes);
    }

    /** Returns the frequency in cycles per unit of the raw projection v·x. */
    double frequency() {
        double u = (stream("frequency").nextLong() >>> 11) * 0x1.0p-53;
        return (MIN_FREQUENCY + u * (MAX_FREQUENCY - MIN_FREQUENCY)) / scale;
    }

    /** Returns the phase in [0, 2π). */
    double phase() {
        return 2 * Math.PI * ((stream("phase").nextLong() >>> 11) * 0x1.0p-53);
    }

    /** Returns the unit projection direction for inputs of {@code size} floats. */
    double[] direction(int size) {
        if (storedDirection != null) {
            if (storedDirection.length != size) {
                throw new IllegalArgumentException("watermark key " + fingerprint() + " was drawn for inputs of "
                        + storedDirection.length + " floats, got inputs of " + size);
            }
            return storedDirection.clone();
        }
        Rng r = stream("direction:" + size);
        double[] v = new double[size];
        double norm = 0;
        for (int i = 0; i < size; i++) {
            v[i] = r.nextGaussian();
            norm += v[i] * v[i];
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < size; i++) {
            v[i] /= norm;
        }
        return v;
    }

    /** A SplitMix64 stream seeded by SHA-256(secret, purpose): independent per purpose. */
    Rng stream(String purpose) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(secret);
            md.update(purpose.getBytes(StandardCharsets.UTF_8));
            byte[] h = md.digest();
            long seed = 0;
            for (int i = 0; i < 8; i++) {
                seed = (seed << 8) | (h[i] & 0xff);
            }
            return new Rng(seed);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns a fingerprint that identifies the key in logs without revealing it. */
    public String fingerprint() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] once = md.digest(secret);
            return HexFormat.of().formatHex(md.digest(once)).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "WatermarkKey[fingerprint=%s, amplitude=%s]", fingerprint(), amplitude);
    }

    /** SplitMix64 with a Box-Muller Gaussian. */
    static final class Rng {
        private long state;

        Rng(long seed) {
            this.state = seed;
        }

        long nextLong() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        double nextGaussian() {
            double u1 = ((nextLong() >>> 11) + 1) * 0x1.0p-53;
            double u2 = (nextLong() >>> 11) * 0x1.0p-53;
            return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        }
    }
}
