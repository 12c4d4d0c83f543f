package org.distill4j.audit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.distill4j.lm.token.Tokenizer;

/**
 * The distillation audit for language models: was the suspect distilled from the teacher? The
 * classifier audit's statistic and test ({@link DistillationAudit}, docs/audit.md) with next-token
 * positions as probes and the vocabulary as classes: every model reads the same probe texts
 * (each encoded after BOS, cut into windows of the shortest context), each position's next-token
 * log-probabilities become a clipped, row-centred unit vector, and a model's idiosyncrasy
 * correlation is the cosine, over positions and each position's {@value #COMPARED} tokens the teacher
 * finds most likely, between the teacher's and the model's deviations from the references'
 * consensus. Those tokens, not the whole vocabulary: a student learns the teacher's ranking of its
 * likely next tokens (all that top-k KD and an API convey), while the rest of the row, clipped at
 * ln 1e-6, is mostly noise that outweighs them (measured: docs/audit.md). The tokens are chosen from
 * the teacher alone, so every scored model is compared on the same entries. The suspect's Fisher-transformed correlation is then
 * tested against the references' (each scored against the consensus of the others) or, with null
 * models, against theirs, by the same one-sided t prediction test ({@link ModelLevelTest}).
 *
 * <p>Every model must share the teacher's tokenizer (the positions and the vocabulary are compared
 * token by token). A model behind an API ({@link AuditedLm#api}) lists only its top 20 tokens a
 * position; when any model is such a model, every model's reading is cut to the same form (its own
 * top 20, the rest at its least listed value) so that the models compared are treated alike and
 * the test stays valid. Memory: per model and position the {@value #COMPARED} compared values and
 * two numbers (about 200 bytes; 1,000 positions: 0.2 MB a model, whatever the vocabulary), plus one
 * window's readings. Not thread-safe; one instance per audit.
 */
public final class LmDistillationAudit {

    /** Alternatives kept a position when any scored model is behind an API (what such an API lists). */
    static final int API_TOP_K = AuditedLm.API_TOP_K;

    /** Tokens compared at each position: the teacher's most likely ones. */
    static final int COMPARED = 20;

    private final AuditedLm teacher;
    private final AuditedLm suspect;
    private final List<AuditedLm> references;
    private final List<AuditedLm> nullModels;
    private final Tokenizer tokenizer;
    private final List<String> texts;
    private final int positions;
    private final double alpha;
    private final long seed;
    private final boolean truncate;
    private final boolean referencesTrained;

    private LmDistillationAudit(Builder b) {
        this.teacher = Objects.requireNonNull(b.teacher, "teacher");
        this.suspect = Objects.requireNonNull(b.suspect, "suspect");
        this.references = List.copyOf(b.references);
        this.nullModels = List.copyOf(b.nullModels);
        this.tokenizer = Objects.requireNonNull(b.tokenizer, "tokenizer");
        this.texts = List.copyOf(Objects.requireNonNull(b.texts, "texts"));
        this.positions = b.positions;
        this.alpha = b.alpha;
        this.seed = b.seed;
        this.truncate = b.truncate;
        this.referencesTrained = b.referencesTrained;
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the audit.
     *
     * @throws AuditException for fewer than 2 references, 1 null model, a model of another
     *     tokenizer, or texts that give fewer than 100 positions; the message names what to change
     */
    public AuditResult run() {
        if (references.size() < 2) {
            throw new AuditException("the language-model audit needs at least 2 references, got " + references.size());
        }
        if (nullModels.size() == 1) {
            throw new AuditException("null models: none, or at least 2 (their spread is the test's scale); got 1");
        }
        if (positions < 100) {
            throw new AuditException("--queries must be at least 100 positions, got " + positions);
        }
        List<AuditedLm> all = new ArrayList<>();
        all.add(teacher);
        all.add(suspect);
        all.addAll(references);
        all.addAll(nullModels);
        int window = Integer.MAX_VALUE;
        for (AuditedLm m : all) {
            if (!m.tokenizer().equals(tokenizer.identity())) {
                throw new AuditException(m.name() + " uses tokenizer " + m.tokenizer() + ", not the teacher's "
                        + tokenizer.identity() + ": the audit compares next-token distributions token by token");
            }
            window = Math.min(window, m.contextLength());
        }
        int vocab = tokenizer.vocabSize();

        // Read every model on the same windows, keeping of each position only what the test uses:
        // the centred values at the teacher's compared tokens, the divergence from the teacher and
        // the most likely token (memory per position and model: COMPARED values, not the vocabulary).
        int k = Math.min(COMPARED, vocab);
        int models = all.size();
        double[][][] picked = new double[models][positions][];
        double[][] js = new double[models][positions];
        int[][] top = new int[models][positions];
        int n = 0;
        // Decided at the first window: any model read over an API cuts every reading to its top 20,
        // so that all are represented alike (a flat tail at the least listed value beside full rows
        // would be a difference of form, not of knowledge).
        Boolean cut = null;
        for (String text : texts) {
            int[] enc = tokenizer.encode(text);
            int[] ids = new int[enc.length + 1];
            ids[0] = tokenizer.bos();
            System.arraycopy(enc, 0, ids, 1, enc.length);
            for (int from = 0; from < ids.length - 1 && n < positions; from += window) {
                int[] w = Arrays.copyOfRange(ids, from, Math.min(ids.length, from + window));
                // An API predicts no token after a window's last: the last row is left out for all.
                int usable = Math.min(w.length - 1, positions - n);
                AuditedLm.Reading[] readings = new AuditedLm.Reading[models];
                for (int m = 0; m < models; m++) {
                    readings[m] = all.get(m).read(w);
                }
                if (cut == null) {
                    cut = truncate;
                    for (AuditedLm.Reading r : readings) {
                        cut |= !(r instanceof AuditedLm.FullReading);
                    }
                }
                for (int i = 0; i < usable; i++) {
                    float[] teacherRow = logProbabilities(readings[0], i, vocab, cut);
                    int[] compared = topIndices(teacherRow, k);
                    for (int m = 0; m < models; m++) {
                        float[] row = m == 0 ? teacherRow : logProbabilities(readings[m], i, vocab, cut);
                        double[] centred = Divergences.centred(row);
                        double[] values = new double[k];
                        for (int j = 0; j < k; j++) {
                            values[j] = centred[compared[j]];
                        }
                        picked[m][n + i] = values;
                        js[m][n + i] = Divergences.jensenShannon(teacherRow, row);
                        top[m][n + i] = Divergences.argmax(row);
                    }
                }
                n += usable;
            }
            if (n >= positions) {
                break;
            }
        }
        if (n < 100) {
            throw new AuditException("the probe texts give " + n + " positions, at least 100 are needed: give more or "
                    + "longer texts");
        }
        int used = n;
        double[][] t = picked[0];
        int refBase = 2;
        int nullBase = 2 + references.size();

        // The suspect and null models against all references but one drawn at random, so that the
        // suspect is treated exactly like a reference (scored against R - 1 others).
        Random rng = new Random(seed);
        int dropped = rng.nextInt(references.size());
        List<Integer> selectors = new ArrayList<>();
        for (int r = 0; r < references.size(); r++) {
            if (r != dropped) {
                selectors.add(refBase + r);
            }
        }
        double[][] suspectConsensus = consensus(picked, selectors, used, k);
        double suspectScore = idiosyncrasy(t, picked[1], suspectConsensus);
        List<Double> nullScores = new ArrayList<>();
        for (int m = 0; m < nullModels.size(); m++) {
            nullScores.add(idiosyncrasy(t, picked[nullBase + m], suspectConsensus));
        }
        List<Double> refScores = new ArrayList<>();
        List<Double> refDivergences = new ArrayList<>();
        List<Double> refAgreements = new ArrayList<>();
        List<Double> pooled = new ArrayList<>();
        for (int r = 0; r < references.size(); r++) {
            List<Integer> others = new ArrayList<>();
            for (int o = 0; o < references.size(); o++) {
                if (o != r) {
                    others.add(refBase + o);
                }
            }
            refScores.add(idiosyncrasy(t, picked[refBase + r], consensus(picked, others, used, k)));
            double sum = 0;
            for (int i = 0; i < used; i++) {
                sum += js[refBase + r][i];
                pooled.add(js[refBase + r][i]);
            }
            refDivergences.add(sum / used);
            refAgreements.add(agreement(top[0], top[refBase + r], used));
        }
        double[] suspectJs = Arrays.copyOf(js[1], used);
        double suspectDivergence = Arrays.stream(suspectJs).average().orElse(Double.NaN);
        double refDivergence = AuditResult.typicalDivergence(refDivergences);
        ModelLevelTest.Outcome test = ModelLevelTest.of(suspectScore, nullModels.isEmpty() ? refScores : nullScores);

        Map<String, Integer> composition = new LinkedHashMap<>();
        composition.put("positions", used);
        composition.put("window", window);
        if (Boolean.TRUE.equals(cut)) {
            composition.put("top_k_kept", API_TOP_K);
        }
        Map<String, Long> spent = AuditResult.queriesOf(
                suspect, teacher, references, nullModels, AuditedLm::name, AuditedLm::windowsRead);
        return new AuditResult(
                teacher.name(),
                suspect.name(),
                references.stream().map(AuditedLm::name).toList(),
                referencesTrained,
                used,
                composition,
                spent,
                suspectScore,
                refScores,
                suspectDivergence,
                refDivergences,
                agreement(top[0], top[1], used),
                refAgreements,
                test.statistic(),
                test.degreesOfFreedom(),
                test.pValue(),
                test.rankPValue(),
                test.effectSize(),
                refDivergence / Math.max(suspectDivergence, 1e-12),
                alpha,
                test.pValue() < alpha,
                suspectJs,
                pooled.stream().mapToDouble(Double::doubleValue).toArray(),
                nullModels.stream().map(AuditedLm::name).toList(),
                nullScores);
    }

    /**
     * A position's next-token log-probabilities over the vocabulary: the whole distribution in
     * process; over an API (or when {@code cut}) the top {@value #API_TOP_K} as given and every
     * other token at the least listed value, renormalised so that the row still sums to 1.
     */
    private static float[] logProbabilities(AuditedLm.Reading r, int row, int vocab, boolean cut) {
        float[] out = new float[vocab];
        if (r instanceof AuditedLm.FullReading full && !cut) {
            System.arraycopy(full.logProbs(), row * vocab, out, 0, vocab);
            return out;
        }
        int[] top = r.top(row, API_TOP_K);
        float least = Float.POSITIVE_INFINITY;
        for (int id : top) {
            least = Math.min(least, r.logProb(row, id));
        }
        if (top.length == 0 || !Float.isFinite(least)) {
            least = (float) Divergences.LOG_FLOOR;
        }
        Arrays.fill(out, least);
        for (int id : top) {
            float v = r.logProb(row, id);
            out[id] = Float.isFinite(v) ? v : least;
        }
        return Divergences.logSoftmax(out);
    }

    /** The mean of the selected models' compared values at each position. */
    private static double[][] consensus(double[][][] picked, List<Integer> selectors, int used, int k) {
        double[][] c = new double[used][k];
        for (int m : selectors) {
            double[][] v = picked[m];
            for (int i = 0; i < used; i++) {
                for (int j = 0; j < k; j++) {
                    c[i][j] += v[i][j] / selectors.size();
                }
            }
        }
        return c;
    }

    /**
     * The cosine, over positions and their compared tokens, of the teacher's and the model's
     * deviations from the consensus.
     */
    private static double idiosyncrasy(double[][] t, double[][] m, double[][] consensus) {
        double dot = 0;
        double tt = 0;
        double mm = 0;
        for (int i = 0; i < consensus.length; i++) {
            for (int j = 0; j < consensus[i].length; j++) {
                double a = t[i][j] - consensus[i][j];
                double b = m[i][j] - consensus[i][j];
                dot += a * b;
                tt += a * a;
                mm += b * b;
            }
        }
        return tt > 0 && mm > 0 ? dot / Math.sqrt(tt * mm) : 0;
    }

    /** The indices of the {@code k} largest values, largest first. */
    static int[] topIndices(float[] v, int k) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(v[b], v[a]));
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = order[i];
        }
        return out;
    }

    /** Share of positions where the two models' most likely next token is the same. */
    private static double agreement(int[] a, int[] b, int used) {
        int same = 0;
        for (int i = 0; i < used; i++) {
            same += a[i] == b[i] ? 1 : 0;
        }
        return (double) same / used;
    }

    /** Builder: {@code setX} for required values, {@code optX} for optional ones. */
    public static final class Builder {
        private AuditedLm teacher;
        private AuditedLm suspect;
        private final List<AuditedLm> references = new ArrayList<>();
        private final List<AuditedLm> nullModels = new ArrayList<>();
        private Tokenizer tokenizer;
        private List<String> texts;
        private int positions = 1000;
        private double alpha = 0.01;
        private long seed = 42;
        private boolean truncate;
        private boolean referencesTrained;

        private Builder() {}

        /** Whether the audit trained its references itself (reported; default false). */
        public Builder optReferencesTrained(boolean value) {
            referencesTrained = value;
            return this;
        }

        /** The teacher the suspect may have learnt from. */
        public Builder setTeacher(AuditedLm value) {
            teacher = value;
            return this;
        }

        /** The model under suspicion. */
        public Builder setSuspect(AuditedLm value) {
            suspect = value;
            return this;
        }

        /** Independent models of the task (at least 2): they make the consensus. */
        public Builder addReferences(List<? extends AuditedLm> values) {
            references.addAll(values);
            return this;
        }

        /** Independent models like the suspect (none, or at least 2): the test's sample when given. */
        public Builder addNullModels(List<? extends AuditedLm> values) {
            nullModels.addAll(values);
            return this;
        }

        /** The teacher's tokenizer, which every model must share. */
        public Builder setTokenizer(Tokenizer value) {
            tokenizer = value;
            return this;
        }

        /** The probe texts, read in order until the positions are reached. */
        public Builder setTexts(List<String> value) {
            texts = value;
            return this;
        }

        /** Positions read from every model (default 1,000; at least 100). */
        public Builder optPositions(int value) {
            positions = value;
            return this;
        }

        /** Significance level of the verdict (default 0.01). */
        public Builder optAlpha(double value) {
            alpha = value;
            return this;
        }

        /** Seed of the reference left out of the suspect's consensus (default 42). */
        public Builder optSeed(long value) {
            seed = value;
            return this;
        }

        /**
         * Reads every model as an API lists it (top {@value LmDistillationAudit#API_TOP_K}), as the
         * audit does by itself when any model is behind an API (default false).
         */
        public Builder optTopKOnly(boolean value) {
            truncate = value;
            return this;
        }

        /** Builds the audit. */
        public LmDistillationAudit build() {
            return new LmDistillationAudit(this);
        }
    }
}
