package org.distill4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.distill4j.data.ExampleSet;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.Activation;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.TeacherOutputs;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.GateApproval;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.TermsRegistry;
import org.distill4j.train.SoftTargets;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.Test;

/** The interleaved per-step comparison of {@code distill bench speed}, on a small real training. */
class InterleavedStepsTest {

    private static final ExampleSet TRAIN = StressHarness.blobs("interleaved-train", 640, 5);
    private static final MlpSpec MLP = new MlpSpec(List.of(16), Activation.RELU, 0);

    @Test
    @SuppressWarnings("unchecked")
    void alternatesBlocksOfTheRealTrainersAndComparesEachCachedBlockWithItsNeighbours() throws Exception {
        // 640 rows / batch 32 = 20 batches an epoch, 3 epochs: 60 batches each, blocks of 4.
        Map<String, Object> round = InterleavedSteps.round(
                () -> SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames()),
                TrainingConfig.builder().setEpochs(3).optBatchSize(32).build(),
                new KdParameters(4, 0.9),
                SoftTargets.cached(outputs()),
                approval(),
                TRAIN,
                4,
                2,
                true);
        assertThat(round.get("batches_out_of_turn"))
                .as("a batch trained while the other lane held the baton")
                .isEqualTo(0);
        List<Double> alone = (List<Double>) round.get("alone_us_per_step");
        List<Double> cached = (List<Double>) round.get("cached_us_per_step");
        assertThat(alone).hasSize(15 - 2);
        assertThat(cached).hasSize(15 - 2);
        // Cached block i against the alone blocks i and i + 1: one fewer ratio than blocks.
        assertThat((List<Double>) round.get("wall_ratios")).hasSize(12).allMatch(r -> r > 0 && Double.isFinite(r));
        assertThat((List<Double>) round.get("cpu_ratios")).hasSize(12).allMatch(r -> r > 0 && Double.isFinite(r));
        assertThat(alone).allMatch(us -> us > 1 && us < 1e6);

        Map<String, Object> summary = InterleavedSteps.summary(List.of(round, round));
        assertThat(summary.get("blocks")).isEqualTo(24);
        double median = (Double) summary.get("wall_ratio_median");
        assertThat((Double) summary.get("wall_ratio_p25")).isLessThanOrEqualTo(median);
        assertThat((Double) summary.get("wall_ratio_p75")).isGreaterThanOrEqualTo(median);
    }

    @Test
    void aFailingTrainingReleasesTheOtherAndIsRethrown() {
        // Logits of another teacher than the approval names: the cached lane fails at once; the
        // alone lane must not wait for a baton that never comes back.
        TeacherOutputs foreign = new TeacherOutputs(
                new TeacherIdentity("distill4j", "/teachers/other", "0ther", "MLP").cacheKey(),
                TRAIN.contentHash(),
                TRAIN.size(),
                TRAIN.numClasses(),
                new float[TRAIN.size() * TRAIN.numClasses()]);
        assertThatThrownBy(() -> InterleavedSteps.round(
                        () -> SavedModel.create(MLP, TRAIN.featureShape(), TRAIN.classNames()),
                        TrainingConfig.builder().setEpochs(1).optBatchSize(32).build(),
                        new KdParameters(4, 0.9),
                        SoftTargets.cached(foreign),
                        approval(),
                        TRAIN,
                        4,
                        0,
                        true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("approval");
    }

    private static TeacherIdentity teacher() {
        return new TeacherIdentity("distill4j", "/teachers/interleaved", "1eaf", "MLP");
    }

    private static TeacherOutputs outputs() {
        float[] logits = new float[TRAIN.size() * TRAIN.numClasses()];
        Random rng = new Random(3);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (3 * rng.nextGaussian());
        }
        return new TeacherOutputs(teacher().cacheKey(), TRAIN.contentHash(), TRAIN.size(), TRAIN.numClasses(), logits);
    }

    private static GateApproval approval() throws Exception {
        return new DistillationGate()
                .approve(GateRequest.forTeacher(TermsRegistry.builtIn().get("mit"), "student")
                        .withTeacher(teacher()));
    }
}
