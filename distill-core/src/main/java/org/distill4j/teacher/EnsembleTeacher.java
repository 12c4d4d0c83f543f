package org.distill4j.teacher;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.distill4j.io.Hashing;

/**
 * Several teachers answering as one: the mean of the members' probabilities, the ensemble that
 * Hinton et al. distilled into a single model. Ensembling is the cheapest way to get a teacher that
 * is clearly better than each of its members (and than a small student trained alone), which is
 * what makes its soft targets worth distilling.
 *
 * <p>Its logits are {@code log(mean_m softmax(z_m))}: softmax of them is exactly the mean
 * distribution, at temperature 1. At a distillation temperature T the student sees {@code
 * softmax(log(mean p) / T)}, the mean distribution sharpened or softened as a whole, which keeps
 * the cached form one logit row per input like any other teacher's. Computed with a log-sum-exp over
 * members, so no member's tiny probabilities underflow to zero.
 *
 * <p>The ensemble owns its members and closes them. Its identity changes when any member changes
 * or when the members are reordered (the same members in another order give the same outputs, but
 * a cache keyed by the list is simpler to reason about).
 */
public final class EnsembleTeacher implements Teacher {

    /** Most members an ensemble takes: every input costs a forward pass of each. */
    public static final int MAX_MEMBERS = 16;

    private final List<Teacher> members;
    private final TeacherIdentity identity;

    private EnsembleTeacher(List<Teacher> members, TeacherIdentity identity) {
        this.members = members;
        this.identity = identity;
    }

    /**
     * Returns the ensemble of {@code members}, which it then owns.
     *
     * @param members 2 to {@value #MAX_MEMBERS} teachers with the same inputs and classes
     * @throws IllegalArgumentException for fewer than 2 or more than {@value #MAX_MEMBERS} members
     */
    public static EnsembleTeacher of(List<? extends Teacher> members) {
        if (members.size() < 2 || members.size() > MAX_MEMBERS) {
            throw new IllegalArgumentException(
                    "an ensemble teacher needs 2 to " + MAX_MEMBERS + " members, got " + members.size());
        }
        List<Teacher> copy = List.copyOf(members);
        String keys = copy.stream().map(m -> m.identity().cacheKey()).collect(Collectors.joining("\n"));
        TeacherIdentity first = copy.get(0).identity();
        TeacherIdentity id = new TeacherIdentity(
                "ensemble",
                copy.stream().map(m -> m.identity().location()).collect(Collectors.joining(";")),
                Hashing.sha256("mean probability of\n" + keys),
                "ensemble of " + copy.size() + " (mean probability), first: " + first.description());
        return new EnsembleTeacher(copy, id);
    }

    /** Returns the members, in order. */
    public List<Teacher> members() {
        return members;
    }

    @Override
    public TeacherIdentity identity() {
        return identity;
    }

    @Override
    public NDArray logits(NDArray inputs) {
        List<NDArray> logProbs = new ArrayList<>(members.size());
        for (Teacher m : members) {
            logProbs.add(m.logits(inputs).logSoftmax(1));
        }
        NDArray stacked = NDArrays.stack(new NDList(logProbs), 0); // (M, B, C)
        // log mean exp over members, shifted by the per-cell maximum so the largest term is exp(0) = 1.
        NDArray max = stacked.max(new int[] {0}, true);
        NDArray meanExp = stacked.sub(max).exp().mean(new int[] {0});
        return meanExp.log().add(max.squeeze(0)).stopGradient();
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (Teacher m : members) {
            try {
                m.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
