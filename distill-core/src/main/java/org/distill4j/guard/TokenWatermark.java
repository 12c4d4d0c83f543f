package org.distill4j.guard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A keyed watermark for a language model's served next-token distributions (Kirchenbauer et al.,
 * ICML 2023), tested for in a model trained on its outputs as Sander et al. (NeurIPS 2024,
 * "Watermarking makes language models radioactive") do: for every context, the secret splits the
 * vocabulary by the context's last {@code context} tokens (1 or 2; 2 by default) into a green share
 * {@code gamma} and the rest, and the served logits of the green tokens are raised by {@code
 * delta}. Log-probabilities, top-k lists
 * and sampled text all come from the raised logits, so a student distilled from any of them
 * learns to prefer, after each token, that token's green list.
 *
 * <p><b>Test.</b> Teacher-force the suspect over probe text and take its most likely next token
 * after each position; keep each distinct (context, predicted token) pair once. (With a byte
 * vocabulary one token of context leaves a few hundred distinct pairs in 10,000 positions, too
 * few for a strong test and shared by most models; two leave thousands.) Under H0 (the
 * suspect never learnt from outputs watermarked with this key) the pairs do not depend on the key,
 * and each pair's colour is an independent draw that is green with probability {@code gamma}, so
 * the number of green pairs is Binomial(pairs, gamma) exactly; the p-value is its upper tail. Without
 * the deduplication the test would not be valid: a model repeats pairs, and one lucky pair would be
 * counted many times.
 *
 * <p><b>Cost.</b> Unlike the classifier watermark ({@link Watermark}), this one can change the top
 * token (a red top token within {@code delta} of a green one loses), unless the key keeps the top
 * ({@link #keepsTop()}): then a green token raised to or past the clean top token's served logit
 * stops just below it, so the most likely token, and greedy text, never change. Per position the
 * KL to the clean distribution is at most {@code delta} nats. {@link #utility} measures both.
 *
 * <p>The key file (JSON, format {@value #FORMAT}) holds the 32-byte secret, gamma, delta, context and
 * {@code keep_top} (absent: false); it is
 * written atomically and owner-readable only, and only {@link #fingerprint()} ever appears
 * elsewhere. Immutable and thread-safe.
 */
public final class TokenWatermark {

    /** The key file's format tag. */
    public static final String FORMAT = "distill4j-token-watermark-v1";
    /** Default green share of the vocabulary. */
    public static final double DEFAULT_GAMMA = 0.25;
    /** Default logit raise of green tokens, in nats. */
    public static final double DEFAULT_DELTA = 1.0;

    /** Default tokens of context a green list is keyed by. */
    public static final int DEFAULT_CONTEXT = 2;

    private final byte[] secret;
    private final double gamma;
    private final double delta;
    private final int context;
    private final boolean keepTop;
    private final long k0;
    private final long k1;

    /**
     * Creates a watermark from a secret.
     *
     * @param secret 32 bytes
     * @param gamma green share, in (0, 1)
     * @param delta logit raise of green tokens, in (0, 20] nats
     * @param context tokens of context a green list is keyed by: 1 (the last token) or 2 (the last two)
     * @param keepTop whether no green token may overtake the clean top token ({@link #keepsTop()})
     */
    public TokenWatermark(byte[] secret, double gamma, double delta, int context, boolean keepTop) {
        if (secret == null || secret.length != 32) {
            throw new IllegalArgumentException("a token watermark secret has 32 bytes");
        }
        if (!(gamma > 0 && gamma < 1)) {
            throw new IllegalArgumentException("illegal gamma value: " + gamma + ", must be in (0, 1)");
        }
        if (!(delta > 0 && delta <= 20)) {
            throw new IllegalArgumentException("illegal delta value: " + delta + ", must be in (0, 20]");
        }
        if (context != 1 && context != 2) {
            throw new IllegalArgumentException("illegal context value: " + context + ", must be 1 or 2");
        }
        this.secret = secret.clone();
        this.gamma = gamma;
        this.delta = delta;
        this.context = context;
        this.keepTop = keepTop;
        ByteBuffer h = ByteBuffer.wrap(sha256(this.secret, "token-watermark/v1"));
        this.k0 = h.getLong();
        this.k1 = h.getLong();
    }

    /** As {@link #TokenWatermark(byte[], double, double, int, boolean)}, letting green tokens overtake the top. */
    public TokenWatermark(byte[] secret, double gamma, double delta, int context) {
        this(secret, gamma, delta, context, false);
    }

    /** As {@link #TokenWatermark(byte[], double, double, int)} with {@link #DEFAULT_CONTEXT}. */
    public TokenWatermark(byte[] secret, double gamma, double delta) {
        this(secret, gamma, delta, DEFAULT_CONTEXT);
    }

    /** A new random key with the default gamma, delta and context. */
    public static TokenWatermark generate() {
        return generate(DEFAULT_GAMMA, DEFAULT_DELTA, DEFAULT_CONTEXT);
    }

    /** A new random key that lets green tokens overtake the top. */
    public static TokenWatermark generate(double gamma, double delta, int context) {
        return generate(gamma, delta, context, false);
    }

    /** A new random key. */
    public static TokenWatermark generate(double gamma, double delta, int context, boolean keepTop) {
        byte[] s = new byte[32];
        new SecureRandom().nextBytes(s);
        return new TokenWatermark(s, gamma, delta, context, keepTop);
    }

    /** The green share of the vocabulary. */
    public double gamma() {
        return gamma;
    }

    /** The logit raise of green tokens, in nats. */
    public double delta() {
        return delta;
    }

    /** Tokens of context a green list is keyed by (1 or 2). */
    public int context() {
        return context;
    }

    /**
     * Whether the clean top token stays on top: a green token whose raised logit would reach the top
     * token's served logit is held just below it (ties between clean logits go to the lowest id).
     */
    public boolean keepsTop() {
        return keepTop;
    }

    /**
     * Whether {@code token} is green after {@code before} then {@code previous} ({@code before} is
     * -1 at the start of a sequence, and ignored by a key of context 1).
     */
    public boolean green(int before, int previous, int token) {
        long ctx = context == 1 ? previous : ((long) before << 32) ^ (previous & 0xFFFFFFFFL) ^ 0x5DEECE66DL;
        long x = mix(k0 ^ mix(ctx));
        x = mix(x ^ k1 ^ token);
        return (x >>> 11) * 0x1.0p-53 < gamma;
    }

    /**
     * The contexts of every position of {@code ids}: {@code (ids[i - 1], ids[i])} for position i,
     * {@code -1} before the first token; the layout {@link #apply} and {@link #test} take.
     */
    public static int[] contexts(int[] ids) {
        int[] h = new int[2 * ids.length];
        for (int i = 0; i < ids.length; i++) {
            h[2 * i] = i == 0 ? -1 : ids[i - 1];
            h[2 * i + 1] = ids[i];
        }
        return h;
    }

    /**
     * Raises the green logits of each row in place: row r ({@code logits[r * vocab, (r + 1) * vocab)})
     * holds the next-token logits after the tokens {@code history[2r]} then {@code history[2r + 1]}
     * (the first -1 where the sequence has one token; see {@link #contexts}).
     *
     * @return {@code logits}
     */
    public float[] apply(int[] history, float[] logits, int vocab) {
        if (history.length % 2 != 0 || logits.length != history.length / 2 * vocab) {
            throw new IllegalArgumentException(
                    logits.length + " logits for " + history.length / 2 + " positions of a vocabulary of " + vocab);
        }
        float d = (float) delta;
        for (int r = 0; r < history.length / 2; r++) {
            int base = r * vocab;
            int top = 0;
            for (int t = 1; keepTop && t < vocab; t++) {
                top = logits[base + t] > logits[base + top] ? t : top;
            }
            for (int t = 0; t < vocab; t++) {
                if (green(history[2 * r], history[2 * r + 1], t)) {
                    logits[base + t] += d;
                }
            }
            if (keepTop) {
                float ceiling = Math.nextDown(logits[base + top]);
                for (int t = 0; t < vocab; t++) {
                    if (t != top && logits[base + t] > ceiling) {
                        logits[base + t] = ceiling;
                    }
                }
            }
        }
        return logits;
    }

    /**
     * The cost to honest users over the given positions: the share of positions whose top token
     * is unchanged, and the mean and largest KL(clean || served) in nats.
     */
    public record Utility(int positions, double top1Unchanged, double meanKl, double maxKl) {}

    /** Measures {@link Utility} on clean logits (rows after {@code history}, as {@link #apply}); does not modify them. */
    public Utility utility(int[] history, float[] clean, int vocab) {
        float[] served = apply(history, clean.clone(), vocab);
        int n = history.length / 2;
        int same = 0;
        double sum = 0;
        double max = 0;
        for (int r = 0; r < n; r++) {
            double[] p = logSoftmax(clean, r * vocab, vocab);
            double[] q = logSoftmax(served, r * vocab, vocab);
            double kl = 0;
            int a = 0;
            int b = 0;
            for (int t = 0; t < vocab; t++) {
                kl += Math.exp(p[t]) * (p[t] - q[t]);
                a = clean[r * vocab + t] > clean[r * vocab + a] ? t : a;
                b = served[r * vocab + t] > served[r * vocab + b] ? t : b;
            }
            same += a == b ? 1 : 0;
            sum += kl;
            max = Math.max(max, kl);
        }
        return new Utility(n, n == 0 ? 1 : (double) same / n, n == 0 ? 0 : sum / n, max);
    }

    /**
     * A test's outcome.
     *
     * @param pairs distinct (context, predicted token) pairs counted
     * @param green how many of them are green
     * @param z (green - gamma * pairs) / sqrt(gamma (1 - gamma) pairs), for reading
     * @param pValue P(Binomial(pairs, gamma) >= green); 0 where it underflows a double
     * @param log10PValue its base-10 logarithm, finite where {@code pValue} underflows
     */
    public record Detection(int pairs, int green, double z, double pValue, double log10PValue) {}

    /**
     * Tests predictions for this key: position i predicted {@code predicted[i]} after the context
     * {@code history[2i], history[2i + 1]} (as {@link #apply}); each distinct (context, prediction)
     * counts once (for a key of context 1 the context is the last token alone).
     */
    public Detection test(int[] history, int[] predicted) {
        if (history.length != 2 * predicted.length) {
            throw new IllegalArgumentException(
                    history.length / 2 + " contexts for " + predicted.length + " predictions");
        }
        Set<List<Integer>> seen = new HashSet<>();
        int green = 0;
        for (int i = 0; i < predicted.length; i++) {
            int before = context == 1 ? -1 : history[2 * i];
            if (seen.add(List.of(before, history[2 * i + 1], predicted[i]))) {
                green += green(before, history[2 * i + 1], predicted[i]) ? 1 : 0;
            }
        }
        int n = seen.size();
        double z = n == 0 ? 0 : (green - gamma * n) / Math.sqrt(gamma * (1 - gamma) * n);
        double log10 = org.distill4j.eval.BinomialTail.log10UpperTail(n, green, gamma);
        return new Detection(n, green, z, Math.pow(10, log10), log10);
    }

    /** Writes this key to its own file, atomically, owner-readable only where supported. */
    public void save(Path file) throws IOException {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("format", FORMAT);
        n.put("secret", HexFormat.of().formatHex(secret));
        n.put("gamma", gamma);
        n.put("delta", delta);
        n.put("context", context);
        n.put("keep_top", keepTop);
        KeyFiles.write(file, n);
    }

    /** Whether {@code file} is a token watermark key (its format tag says so); false if unreadable. */
    public static boolean isTokenKey(Path file) {
        try {
            return FORMAT.equals(
                    new ObjectMapper().readTree(file.toFile()).path("format").asText());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Reads a key file.
     *
     * @throws IOException if it is missing or malformed; the message names the file and field,
     *     never the content
     */
    public static TokenWatermark load(Path file) throws IOException {
        JsonNode n = KeyFiles.read(file, FORMAT);
        byte[] secret;
        try {
            secret = HexFormat.of().parseHex(n.path("secret").asText());
        } catch (IllegalArgumentException e) {
            throw new IOException("watermark key file " + file + ": field secret must be 64 hex digits");
        }
        if (secret.length != 32) {
            throw new IOException("watermark key file " + file + ": field secret must be 64 hex digits");
        }
        for (String f : new String[] {"gamma", "delta"}) {
            if (!n.path(f).isNumber()) {
                throw new IOException("watermark key file " + file + ": field " + f + " must be a number");
            }
        }
        if (n.has("context") && !n.get("context").canConvertToInt()) {
            throw new IOException("watermark key file " + file + ": field context must be 1 or 2");
        }
        if (n.has("keep_top") && !n.get("keep_top").isBoolean()) {
            throw new IOException("watermark key file " + file + ": field keep_top must be true or false");
        }
        try {
            return new TokenWatermark(
                    secret,
                    n.get("gamma").asDouble(),
                    n.get("delta").asDouble(),
                    n.path("context").asInt(1),
                    n.path("keep_top").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new IOException("watermark key file " + file + ": " + e.getMessage());
        }
    }

    /** A fingerprint that names the key in logs without revealing it. */
    public String fingerprint() {
        return HexFormat.of().formatHex(sha256(secret, "fingerprint")).substring(0, 12);
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "TokenWatermark[fingerprint=%s, gamma=%s, delta=%s, context=%d, keepTop=%s]",
                fingerprint(),
                gamma,
                delta,
                context,
                keepTop);
    }

    private static long mix(long z) {
        // SplitMix64's finaliser: every input bit reaches every output bit.
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static double[] logSoftmax(float[] z, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, z[from + i]);
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.exp(z[from + i] - max);
        }
        double log = max + Math.log(s);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = z[from + i] - log;
        }
        return out;
    }

    private static byte[] sha256(byte[] secret, String purpose) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(purpose.getBytes(StandardCharsets.UTF_8));
            return md.digest(secret);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
