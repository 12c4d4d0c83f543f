package org.distill4j.lm.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * KL against the teacher's k most likely tokens plus one bucket for the rest, exactly what an API
 * with {@code logprobs: k} gives, blended with cross-entropy:
 *
 * <pre>
 *   kd = sum_{i&lt;k} p_i (l_i - log q(id_i)) + p_rest (log p_rest - log q_rest)
 *   p_i = exp(l_i), p_rest = max(0, 1 - sum_i p_i), q = softmax(student),
 *   q_rest = sum of q over ids outside the top k, 0 log 0 = 0
 *   loss = alpha * mean_pos kd + (1 - alpha) * mean_pos CE
 * </pre>
 *
 * <p>Fewer than k (an API that returned less): an entry whose log-probability is -inf is absent
 * and must repeat an id present at that position (its first, say). A position with no entry at all
 * gets no distillation term and is left out of the KD mean (the text still trains through the
 * cross-entropy): probabilities are never invented.
 *
 * <p>With {@code overAllPositions} the KD mean runs over every real position instead, one without
 * entries counting 0: each position that has the teacher's entries then weighs what it would if
 * every position had them, so a teacher asked about a share of the windows ({@code
 * distillation.teacher_share}) contributes in proportion to that share, and a small share tends to
 * plain cross-entropy instead of a few windows' distributions weighted up by 1/share.
 *
 * <p>The tail bucket keeps the missing mass instead of renormalising the top k (which would make
 * the student over-confident), and keeps the term a true KL between two (k+1)-outcome
 * distributions, so it is never negative. No temperature: an API's log-probabilities come at its
 * own temperature and the tail's shape is unknown, so they cannot be re-tempered.
 */
public final class TopKKl implements SequenceLoss {

    /** Most log-probabilities an OpenAI-compatible API returns per token. */
    public static final int MAX_K = 20;

    /** Log-probabilities at or below this are absent entries (an API returned fewer than k). */
    private static final float ABSENT = -1e30f;

    /** A large negative number for masked logits in the tail's log-sum-exp. */
    private static final float MASKED = -1e9f;

    private final int k;
    private final double alpha;
    private final boolean overAllPositions;

    /**
     * The KD mean over the positions that have entries.
     *
     * @param k number of teacher log-probabilities per position, in [1, {@value #MAX_K}]
     * @param alpha weight of the KL term, in [0, 1]
     */
    public TopKKl(int k, double alpha) {
        this(k, alpha, false);
    }

    /**
     * @param k number of teacher log-probabilities per position, in [1, {@value #MAX_K}]
     * @param alpha weight of the KL term, in [0, 1]
     * @param overAllPositions the KD mean over every real position (those without entries count 0)
     *     instead of over the positions with entries (see the class doc)
     */
    public TopKKl(int k, double alpha, boolean overAllPositions) {
        if (k < 1 || k > MAX_K) {
            throw new IllegalArgumentException("illegal k value: " + k + ", must be in [1, " + MAX_K + "]");
        }
        Positionwise.checkAlpha(alpha);
        this.k = k;
        this.alpha = alpha;
        this.overAllPositions = overAllPositions;
    }

    /** Returns k. */
    public int k() {
        return k;
    }

    @Override
    public TeacherTargets targetsFrom(NDArray teacherLogits, long seed) {
        NDList top = teacherLogits.logSoftmax(2).topK(k, 2, true, true);
        return new TeacherTargets.TopK(top.get(1), top.get(0));
    }

    @Override
    public Terms terms(NDArray student, NDArray targets, TeacherTargets teacher) {
        Positionwise.checkShapes(student, targets);
        NDArray soft = null;
        if (alpha > 0) {
            TeacherTargets.TopK top = Positionwise.expect(TeacherTargets.TopK.class, teacher, this);
            long kk = top.ids().getShape().get(2);
            Positionwise.checkTeacher("ids", top.ids(), student, kk);
            Positionwise.checkTeacher("log-probabilities", top.logProbs(), student, kk);
            NDArray ids = top.ids().toType(ai.djl.ndarray.types.DataType.INT64, false);
            NDArray raw = top.logProbs().toType(student.getDataType(), false).stopGradient();
            // Absent entries (-inf) become a finite, hugely negative log-prob: p = exp(...) is exactly 0
            // and p * (l - log q) is 0, not 0 * inf = NaN.
            NDArray present = raw.gt(ABSENT);
            NDArray l = raw.maximum(ABSENT);
            NDArray hasAny = present.toType(student.getDataType(), false)
                    .sum(new int[] {2})
                    .gt(0f)
                    .toType(student.getDataType(), false);
            NDArray logQ = student.logSoftmax(2);
            NDArray logQk = logQ.gather(ids, 2);
            NDArray p = l.exp();
            NDArray head = p.mul(l.sub(logQk)).sum(new int[] {2});
            NDArray pRest = p.sum(new int[] {2}).neg().add(1f).maximum(0f);
            NDArray inTop =
                    logQ.zerosLike().stopGradient().scatter(ids, ids.onesLike().toType(logQ.getDataType(), false), 2);
            NDArray masked = logQ.add(inTop.mul(MASKED));
            NDArray max = masked.max(new int[] {2}, true).stopGradient();
            NDArray logQRest = masked.sub(max).exp().sum(new int[] {2}).log().add(max.squeeze(2));
            NDArray restPresent = pRest.gt(0f).toType(student.getDataType(), false);
            NDArray logPRest = pRest.maximum(1e-30f).log();
            NDArray tail = pRest.mul(logPRest.sub(logQRest)).mul(restPresent);
            NDArray kd = head.add(tail).mul(hasAny);
            NDArray real = Positionwise.mask(targets, student.getDataType());
            NDArray mask = overAllPositions ? real : real.mul(hasAny);
            soft = Positionwise.times(Positionwise.maskedMean(kd, mask), alpha);
        }
        NDArray hard = alpha < 1 ? Positionwise.times(Positionwise.crossEntropy(student, targets), 1 - alpha) : null;
        return Terms.of(soft, hard);
    }

    @Override
    public String toString() {
        return "TopKKL(k=" + k + ", alpha=" + alpha + (overAllPositions ? ", mean over all positions" : "") + ")";
    }
}
