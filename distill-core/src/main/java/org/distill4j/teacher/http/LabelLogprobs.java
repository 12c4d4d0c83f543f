package org.distill4j.teacher.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Turns the token log-probabilities of a chat completion into a soft label: one log-probability per
 * class, in class order.
 *
 * <h2>Input</h2>
 * The generated tokens, in order ({@code choices[0].logprobs.content[i]}), each with its own
 * log-probability and its {@code top_logprobs} alternatives (the k most likely tokens at that
 * position, usually including the generated one). A log-probability of -9999 (OpenAI's "not in
 * the top 20") or -infinity is dropped from the list; NaN, +infinity or a log-probability above
 * 1e-4 make the response malformed ({@link ErrorKind#NON_FINITE}, {@link
 * ErrorKind#BAD_PROBABILITIES}); values in (0, 1e-4] are rounding and read as 0.
 *
 * <h2>Matching</h2>
 * Matching is case-insensitive, and leading whitespace of the answer is ignored: labels are
 * compared lower-cased with leading whitespace removed, and so are tokens while nothing but
 * whitespace has been generated yet. Leading tokens that are only whitespace are skipped (the
 * result is conditioned on them). Labels must be distinct after this normalisation. A token
 * <em>starts</em> a label's remainder r (the part of the label not yet generated) if the token is a
 * non-empty prefix of r, or equals r, or is r followed by a character that is not a letter or
 * digit (so {@code "positive\n"} starts {@code "positive"} but {@code "libdevel"} does not start
 * {@code "lib"}). A <em>boundary</em> token is empty or begins with a character that is not a
 * letter or digit; it ends a label that the generated text has just completed.
 *
 * <h2>The walk</h2>
 * Let π be the probability of the generated path so far (1 at the start). At each position, for
 * the labels still consistent with the generated prefix:
 * <ol>
 *   <li>Each listed alternative token (every listed token except the generated one) that starts
 *       the remainder of one or more open labels, or else is a boundary token when a label has
 *       just been completed, adds π·p(token) to those labels, split equally when it supports several
 *       (its continuations are not visible, so no label is preferred).
 *   <li>The generated token then decides: labels whose remainder it continues stay open; a label
 *       it completes exactly waits for a boundary at the next position (a token that carries on a
 *       longer open label, as {@code " york"} after {@code "new"}, is no boundary); a label it completes with
 *       a boundary inside the token gets π·p(token) at once; a label completed at the previous
 *       position gets π·p(token) if the token is a boundary and continues no open label (ties go
 *       to the longer label along the generated path); every other label <em>diverges</em> here
 *       and keeps what step 1 gave it.
 *   <li>π is multiplied by p(generated token). The walk stops when no label is consistent with
 *       the generated prefix or the generation ends; a label just completed at the end of the
 *       generation gets the remaining π.
 * </ol>
 * So for labels {@code lib} and {@code libdevel} tokenised {@code lib}+{@code devel}, with
 * {@code lib} generated: {@code libdevel} gets p(lib)·p(devel) and {@code lib} gets p(lib) times
 * the boundary tokens at the second position.
 *
 * <h2>Unseen labels, outside mass, normalisation</h2>
 * A label that no listed token supported is <em>unseen</em>. The unseen labels that diverged at
 * the same position d share the residual π_d·(1 - sum of listed probabilities at d) equally, each
 * capped at π_d times the smallest listed probability at d (a token outside the top k cannot be
 * more likely than the k-th); labels still open when the generation ended use the last position.
 * Every label's mass is then floored at {@value #FLOOR} so no log-probability is -infinity. If
 * <em>no</em> label was supported by any listed token the response fails with {@link
 * ErrorKind#LABEL_NOT_IN_TOP_K}: residual mass alone is never turned into a label. The {@link
 * Result#outsideMass() outside mass} is 1 minus the total label mass (clamped to [0, 1]): tokens
 * that begin no label, unassigned residual. It is recorded and removed by renormalising the label
 * masses to sum to 1; the result holds their natural logs. Token {@code bytes} are not used: a
 * label split inside a multi-byte character is matched through the token strings only.
 */
public final class LabelLogprobs {

    /** The smallest probability mass a label can receive, so its log-probability is finite. */
    public static final double FLOOR = 1e-12;

    /** Log-probabilities at or below this are OpenAI's "not listed" marker and are ignored. */
    static final double NOT_LISTED = -9999;

    private LabelLogprobs() {}

    /**
     * One generated token and its alternatives.
     *
     * @param token the generated token's text
     * @param logprob its natural-log probability
     * @param top the listed alternatives (may include the generated token)
     */
    public record Position(String token, double logprob, List<Alternative> top) {
        /** Requires token and list. */
        public Position {
            Objects.requireNonNull(token, "token");
            top = List.copyOf(top);
        }
    }

    /**
     * One listed token at a position.
     *
     * @param token the token's text
     * @param logprob its natural-log probability
     */
    public record Alternative(String token, double logprob) {
        /** Requires the token. */
        public Alternative {
            Objects.requireNonNull(token, "token");
        }
    }

    /**
     * A soft label.
     *
     * @param logprobs natural-log probabilities in class order, finite, their exponentials summing
     *     to 1
     * @param outsideMass probability mass of answers that are no label (removed by renormalising),
     *     in [0, 1]
     */
    public record Result(double[] logprobs, double outsideMass) {}

    /**
     * Parses {@code choices[0].logprobs.content} of a chat completion.
     *
     * @throws MalformedResponseException ({@link ErrorKind#BAD_JSON}) if it is not an array of
     *     tokens with numeric log-probabilities
     */
    public static List<Position> parse(JsonNode content) throws MalformedResponseException {
        if (content == null || !content.isArray()) {
            throw new MalformedResponseException(
                    ErrorKind.BAD_JSON,
                    "choices[0].logprobs.content is missing or not an array (was logprobs=true honoured?)");
        }
        List<Position> out = new ArrayList<>();
        for (JsonNode t : content) {
            List<Alternative> top = new ArrayList<>();
            JsonNode list = t.get("top_logprobs");
            if (list != null && list.isArray()) {
                for (JsonNode a : list) {
                    top.add(new Alternative(text(a), number(a.get("logprob"))));
                }
            }
            out.add(new Position(text(t), number(t.get("logprob")), top));
        }
        return out;
    }

    private static String text(JsonNode n) throws MalformedResponseException {
        JsonNode t = n.get("token");
        if (t == null || !t.isTextual()) {
            throw new MalformedResponseException(ErrorKind.BAD_JSON, "a logprobs entry has no string 'token': " + n);
        }
        return t.asText();
    }

    private static double number(JsonNode n) throws MalformedResponseException {
        if (n == null || !n.isNumber()) {
            throw new MalformedResponseException(ErrorKind.BAD_JSON, "a logprobs entry has no numeric 'logprob': " + n);
        }
        return n.asDouble();
    }

    /**
     * Computes the soft label of a generation over {@code labels}; see the class documentation.
     *
     * @param positions the generated tokens with their alternatives
     * @param labels the class names in class order, distinct after lower-casing and removing
     *     leading whitespace
     * @throws MalformedResponseException {@link ErrorKind#LABEL_NOT_IN_TOP_K} if no listed token
     *     supports any label; {@link ErrorKind#NON_FINITE} or {@link ErrorKind#BAD_PROBABILITIES}
     *     for impossible log-probabilities
     */
    public static Result extract(List<Position> positions, List<String> labels) throws MalformedResponseException {
        int n = labels.size();
        String[] norm = new String[n];
        Set<String> seen = new HashSet<>();
        for (int c = 0; c < n; c++) {
            norm[c] = normalize(labels.get(c), true);
            if (norm[c].isEmpty() || !seen.add(norm[c])) {
                throw new IllegalArgumentException("labels must be non-empty and distinct ignoring case and leading "
                        + "whitespace, got " + labels);
            }
        }
        final int open = 0;
        final int complete = 1;
        final int closed = 2;
        int[] state = new int[n];
        double[] score = new double[n];
        boolean[] supported = new boolean[n];
        int[] divergedAt = new int[n];
        java.util.Arrays.fill(divergedAt, -1);
        List<double[]> walked = new ArrayList<>(); // per walked position: {pi, residual, minListed}
        String prefix = "";
        double pi = 1;
        StringBuilder generated = new StringBuilder();
        for (Position pos : positions) {
            generated.append(pos.token());
        }
        for (Position pos : positions) {
            double pg = probability(pos.logprob(), pos.token());
            boolean atStart = prefix.isEmpty();
            String g = normalize(pos.token(), atStart);
            if (atStart && g.isEmpty()) {
                continue; // leading whitespace: condition on it
            }
            // The listed tokens: alternatives without "not listed" markers, plus the generated one.
            List<Alternative> alts = new ArrayList<>();
            double listedSum = pg;
            double minListed = pg;
            boolean generatedSkipped = false;
            for (Alternative a : pos.top()) {
                double p = probability(a.logprob(), a.token());
                if (!generatedSkipped && a.token().equals(pos.token())) {
                    generatedSkipped = true; // the generated token is accounted for by pg
                    continue;
                }
                if (a.logprob() <= NOT_LISTED || p == 0) {
                    continue;
                }
                alts.add(a);
                listedSum += p;
                minListed = Math.min(minListed, p);
            }
            int index = walked.size();
            walked.add(new double[] {pi, Math.max(0, 1 - listedSum), minListed});
            // Each open label's remainder, cut once per position (the loops below run labels x
            // alternatives, and this runs once per collected item).
            String[] rem = new String[n];
            for (int c = 0; c < n; c++) {
                rem[c] = state[c] == open ? norm[c].substring(prefix.length()) : null;
            }
            // Step 1: alternatives.
            for (Alternative a : alts) {
                String t = normalize(a.token(), atStart);
                List<Integer> supporters = new ArrayList<>();
                for (int c = 0; c < n; c++) {
                    if (state[c] == open && starts(t, rem[c])) {
                        supporters.add(c);
                    }
                }
                // A token that carries on a longer open label ("new" then " york") is that label's,
                // not the boundary of the shorter one just completed.
                if (supporters.isEmpty() && boundary(t)) {
                    for (int c = 0; c < n; c++) {
                        if (state[c] == complete) {
                            supporters.add(c);
                        }
                    }
                }
                double p = probability(a.logprob(), a.token());
                for (int c : supporters) {
                    score[c] += pi * p / supporters.size();
                    supported[c] = true;
                }
            }
            // Step 2: the generated token.
            boolean continues = false;
            for (int c = 0; c < n; c++) {
                if (state[c] == open) {
                    // Continued, finished exactly, or finished with a boundary inside the token: either
                    // way the generated token belongs to this longer label.
                    if (!g.isEmpty() && rem[c].startsWith(g) || starts(g, rem[c])) {
                        continues = true;
                    }
                }
            }
            boolean onLabel = continues;
            for (int c = 0; c < n; c++) {
                if (state[c] == complete) {
                    if (boundary(g) && !continues) {
                        score[c] += pi * pg;
                        supported[c] = true;
                        onLabel = true;
                    } else {
                        divergedAt[c] = index; // the text went on past the label ("lib" + "devel")
                    }
                    state[c] = closed;
                } else if (state[c] == open) {
                    if (g.equals(rem[c])) {
                        state[c] = complete;
                        onLabel = true;
                    } else if (!g.isEmpty() && rem[c].startsWith(g)) {
                        // stays open
                    } else if (starts(g, rem[c])) {
                        score[c] += pi * pg; // completed with a boundary inside the token
                        supported[c] = true;
                        state[c] = closed;
                        onLabel = true;
                    } else {
                        state[c] = closed;
                        divergedAt[c] = index;
                    }
                }
            }
            pi *= pg;
            prefix += g;
            boolean anyLive = false;
            for (int c = 0; c < n; c++) {
                anyLive |= state[c] != closed;
            }
            if (!onLabel || !anyLive) {
                // The generated text left the label set; later tokens say nothing about labels.
                for (int c = 0; c < n; c++) {
                    if (state[c] == open) {
                        state[c] = closed;
                        divergedAt[c] = index;
                    }
                }
                break;
            }
        }
        int last = walked.size() - 1;
        for (int c = 0; c < n; c++) {
            if (state[c] == complete) {
                score[c] += pi; // the generation ended right after the label
                supported[c] = true;
            } else if (state[c] == open) {
                divergedAt[c] = last; // still open at the end: treat as diverging at the last position
            }
        }
        boolean any = false;
        for (boolean s : supported) {
            any |= s;
        }
        if (!any) {
            throw new MalformedResponseException(
                    ErrorKind.LABEL_NOT_IN_TOP_K,
                    "no label among the listed tokens: " + "generated '" + abbreviate(generated.toString())
                            + "', labels " + labels);
        }
        // Unseen labels share the residual of the position where they diverged.
        for (int d = 0; d <= last; d++) {
            int count = 0;
            for (int c = 0; c < n; c++) {
                if (!supported[c] && divergedAt[c] == d) {
                    count++;
                }
            }
            if (count == 0) {
                continue;
            }
            double[] w = walked.get(d);
            double share = Math.min(w[0] * w[1] / count, w[0] * w[2]);
            for (int c = 0; c < n; c++) {
                if (!supported[c] && divergedAt[c] == d) {
                    score[c] = share;
                }
            }
        }
        double total = 0;
        for (int c = 0; c < n; c++) {
            score[c] = Math.max(score[c], FLOOR);
            total += score[c];
        }
        double[] logprobs = new double[n];
        for (int c = 0; c < n; c++) {
            logprobs[c] = Math.log(score[c] / total);
        }
        return new Result(logprobs, Math.min(1, Math.max(0, 1 - total)));
    }

    private static double probability(double logprob, String token) throws MalformedResponseException {
        if (Double.isNaN(logprob) || logprob == Double.POSITIVE_INFINITY) {
            throw new MalformedResponseException(
                    ErrorKind.NON_FINITE,
                    "log-probability of token '" + abbreviate(token) + "' is " + logprob
                            + ", expected a finite value <= 0");
        }
        if (logprob > 1e-4) {
            throw new MalformedResponseException(
                    ErrorKind.BAD_PROBABILITIES,
                    "log-probability of token '" + abbreviate(token) + "' is " + logprob + ", expected <= 0");
        }
        return logprob <= NOT_LISTED ? 0 : Math.exp(Math.min(0, logprob));
    }

    private static String normalize(String token, boolean stripLeading) {
        String t = token.toLowerCase(Locale.ROOT);
        return stripLeading ? t.stripLeading() : t;
    }

    /** True if token {@code t} starts remainder {@code rem} (see the class documentation). */
    private static boolean starts(String t, String rem) {
        if (t.isEmpty()) {
            return false;
        }
        if (rem.startsWith(t)) {
            return true;
        }
        return t.startsWith(rem) && !Character.isLetterOrDigit(t.charAt(rem.length()));
    }

    private static boolean boundary(String t) {
        return t.isEmpty() || !Character.isLetterOrDigit(t.charAt(0));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
