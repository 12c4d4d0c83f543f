package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.distill4j.recipe.Recipe;
import org.distill4j.train.EpochRecord;
import org.distill4j.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, items 3, 7 and 10: a run deletes only what it created, resumes what it can and starts
 * fresh what belongs to another configuration, and cleans its own temporary checkpoint directories.
 */
class OutputOwnershipTest {

    /** A cheap teacher-only recipe: a tiny bag model on the small text corpus. */
    static Recipe recipe(Path tmp, int epochs) throws Exception {
        return ExperimentTextTest.recipe(
                tmp, "teacher.model.buckets=256", "teacher.model.hidden=[]", "teacher.training.epochs=" + epochs);
    }

    static Experiment experiment(Recipe r, Path tmp, boolean resume, List<String> log, List<Integer> epochs) {
        return new Experiment(
                r, tmp.resolve("out"), new Experiment.Options(tmp.resolve("cache"), resume), new ExperimentListener() {
                    @Override
                    public void info(String message) {
                        log.add(message);
                    }

                    @Override
                    public TrainingListener training(String role) {
                        return new TrainingListener() {
                            @Override
                            public void onEpochEnd(EpochRecord record) {
                                epochs.add(record.epoch());
                            }

                            @Override
                            public void onResume(int epoch) {
                                log.add("resumed after " + epoch);
                            }
                        };
                    }
                });
    }

    static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aRunNeverDeletesACheckpointDirectoryItDidNotCreate(@TempDir Path tmp) throws Exception {
        Path users = tmp.resolve("out/teacher/checkpoints");
        Files.createDirectories(users);
        Files.writeString(users.resolve("my-notes.txt"), "precious");
        Recipe r = recipe(tmp, 1);
        assertThatThrownBy(() -> experiment(r, tmp, false, new ArrayList<>(), new ArrayList<>())
                        .trainTeachers()
                        .get(0))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining(users.toString())
                .hasMessageContaining("not created by distill4j");
        assertThat(Files.readString(users.resolve("my-notes.txt"))).isEqualTo("precious");
    }

    @Test
    void resumeStartsFreshWhatAnotherConfigurationCheckpointedAndSaysSo(@TempDir Path tmp) throws Exception {
        experiment(recipe(tmp, 2), tmp, false, new ArrayList<>(), new ArrayList<>())
                .trainTeachers()
                .get(0);
        Path ck = tmp.resolve("out/teacher/checkpoints");
        assertThat(names(ck)).contains("epoch-0001", "epoch-0002");
        // A crashed write of the earlier run left a temporary directory behind.
        Files.createDirectories(ck.resolve(".epoch-0003-12345"));

        List<String> log = new ArrayList<>();
        List<Integer> epochs = new ArrayList<>();
        experiment(recipe(tmp, 3), tmp, true, log, epochs).trainTeachers().get(0);

        assertThat(epochs).containsExactly(1, 2, 3);
        assertThat(log)
                .anyMatch(l -> l.contains(ck.toString())
                        && l.contains("another configuration")
                        && l.contains("starting fresh"));
        assertThat(names(ck)).doesNotContain(".epoch-0003-12345").contains("epoch-0002", "epoch-0003");
    }

    @Test
    void resumeContinuesTheSameConfiguration(@TempDir Path tmp) throws Exception {
        experiment(recipe(tmp, 2), tmp, false, new ArrayList<>(), new ArrayList<>())
                .trainTeachers()
                .get(0);
        // As if killed after the last checkpoint but before the model was saved.
        Files.delete(tmp.resolve("out/teacher/training.json"));
        Path leftover = tmp.resolve("out/teacher/checkpoints/.epoch-0003-777");
        Files.createDirectories(leftover);
        Files.writeString(leftover.resolve("state.json"), "{}");
        List<String> log = new ArrayList<>();
        List<Integer> epochs = new ArrayList<>();
        experiment(recipe(tmp, 2), tmp, true, log, epochs).trainTeachers().get(0);
        assertThat(log).contains("resumed after 2");
        assertThat(epochs).isEmpty();
        assertThat(leftover).doesNotExist();
    }

    @Test
    void aTeacherTooLargeForTheMachineIsRefusedBeforeAllocatingWithEstimateAndLimit(@TempDir Path tmp)
            throws Exception {
        Recipe r = ExperimentTextTest.recipe(tmp, "teacher.model={type: mlp, hidden: [65536, 65536]}");
        org.distill4j.model.MemoryEstimate e = org.distill4j.model.MemoryEstimate.of(
                r.teacher().model(), new long[] {32}, 3, r.teacher().training().batchSize());
        // Guard: the run below must be refused, never allocate 70 GB on a machine that has it.
        org.junit.jupiter.api.Assumptions.assumeTrue(e.trainingBytes() > org.distill4j.model.MemoryEstimate.limit());
        List<String> log = new ArrayList<>();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> experiment(r, tmp, false, log, new ArrayList<>())
                        .trainTeachers()
                        .get(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("teacher: training MLP(hidden=[65536, 65536]")
                .hasMessageContaining("4,297,") // parameters on 32 text features
                .hasMessageContaining("GiB")
                .hasMessageContaining("--max-model-memory");
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(30);
    }

    @Test
    void anOutputPathThatIsARegularFileIsRefusedByName(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("out"), "not a directory");
        Recipe r = recipe(tmp, 1);
        assertThatThrownBy(() -> experiment(r, tmp, false, new ArrayList<>(), new ArrayList<>())
                        .trainTeachers()
                        .get(0))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining(tmp.resolve("out").toString())
                .hasMessageContaining("is a regular file")
                .hasMessageContaining("expected a directory");
    }
}
