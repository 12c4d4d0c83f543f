package org.distill4j.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.testutil.SyntheticData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calibration of the audit's p-value under its hardest null: independent models of the teacher's
 * own architecture, trained on the teacher's own data with other seeds (the teacher has no private
 * quirk here, so what it shares with a student is only what its seed made it). Each of them in turn
 * is the suspect, the others the references: a valid test puts about alpha of them below alpha. A
 * student distilled from the teacher, against the same references, must still be found.
 */
class AuditCalibrationTest {

    static final InMemoryExampleSet TRAIN = SyntheticData.blobs("blobs/train", 1500, 6, 24, 1.8, 11);
    static final InMemoryExampleSet TEST = SyntheticData.blobs("blobs/test", 1200, 6, 24, 1.8, 12);
    static final int NULLS = 9;

    @TempDir
    static Path dir;

    static Path teacher;
    static Path student;
    static Path smallStudent;
    static List<Path> nulls = new ArrayList<>();
    static List<Path> small = new ArrayList<>();
    static List<AuditedModel> open = new ArrayList<>();

    @BeforeAll
    static void train() throws Exception {
        long t0 = System.nanoTime();
        teacher = AuditModels.scratch(List.of(64), 15, 1, TRAIN, dir.resolve("teacher"));
        student = AuditModels.distilled(teacher, List.of(64), 15, 2, 1.0, TRAIN, dir.resolve("student"));
        for (int i = 0; i < NULLS; i++) {
            nulls.add(AuditModels.scratch(List.of(64), 15, 100 + i, TRAIN, dir.resolve("null-" + i)));
        }
        smallStudent = AuditModels.distilled(teacher, List.of(24), 15, 3, 1.0, TRAIN, dir.resolve("small-student"));
        for (int i = 0; i < 6; i++) {
            small.add(AuditModels.scratch(List.of(24), 15, 200 + i, TRAIN, dir.resolve("small-" + i)));
        }
        System.out.printf("trained the calibration models in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void close() {
        open.forEach(AuditedModel::close);
    }

    static AuditedModel load(Path p) throws Exception {
        AuditedModel m = AuditedModels.open(p.toString(), ApiKey.none(), dir.resolve("work"));
        open.add(m);
        return m;
    }

    static AuditResult audit(Path suspect, List<Path> references) throws Exception {
        return audit(suspect, references, List.of());
    }

    static AuditResult audit(Path suspect, List<Path> references, List<Path> nullModels) throws Exception {
        List<AuditedModel> refs = new ArrayList<>();
        for (Path r : references) {
            refs.add(load(r));
        }
        List<AuditedModel> nullList = new ArrayList<>();
        for (Path r : nullModels) {
            nullList.add(load(r));
        }
        return DistillationAudit.builder()
                .setTeacher(load(teacher))
                .setSuspect(load(suspect))
                .addReferences(refs)
                .addNullModels(nullList)
                .setData(TEST)
                .optQueries(400)
                .build()
                .run();
    }

    @Test
    void teacherArchitectureRetrainsGetValidPValuesAndAStudentIsStillFound() throws Exception {
        List<Double> ps = new ArrayList<>();
        for (int i = 0; i < NULLS; i++) {
            List<Path> others = new ArrayList<>(nulls);
            others.remove(i);
            ps.add(audit(nulls.get(i), others).pValue());
        }
        System.out.println("null p-values: " + ps);
        // Under a valid test each p is (close to) uniform: P(2 or more of 9 below 0.05) is 7% for
        // independent ones, and at most one below 0.01 is all a test at alpha 0.01 may afford here.
        assertThat(ps.stream().filter(p -> p < 0.01).count()).isLessThanOrEqualTo(1);
        assertThat(ps.stream().filter(p -> p < 0.05).count()).isLessThanOrEqualTo(2);
        // ... and spread over (0, 1), not piled up at one end.
        assertThat(ps.stream().filter(p -> p > 0.5).count()).isGreaterThanOrEqualTo(2);
        assertThat(ps.stream().filter(p -> p < 0.5).count()).isGreaterThanOrEqualTo(2);

        AuditResult s = audit(student, nulls.subList(0, NULLS - 1));
        System.out.printf("student: p = %.3g, r = %.3f%n", s.pValue(), s.suspectScore());
        assertThat(s.pValue()).isLessThan(0.01);
    }

    @Test
    void nullModelsOfTheSuspectsArchitectureCalibrateASmallerSuspect() throws Exception {
        // References of the teacher's architecture make the consensus; models of the suspect's
        // (smaller) architecture are the null sample. Each small independent model in turn is the
        // suspect against the other five.
        List<Double> ps = new ArrayList<>();
        for (int i = 0; i < small.size(); i++) {
            List<Path> others = new ArrayList<>(small);
            others.remove(i);
            AuditResult r = audit(small.get(i), nulls, others);
            assertThat(r.nullModels()).hasSize(5);
            assertThat(r.degreesOfFreedom()).isEqualTo(4);
            ps.add(r.pValue());
        }
        System.out.println("small null p-values: " + ps);
        assertThat(ps.stream().filter(p -> p < 0.05).count()).isLessThanOrEqualTo(1);
        assertThat(ps.stream().filter(p -> p > 0.3).count()).isGreaterThanOrEqualTo(2);

        AuditResult s = audit(smallStudent, nulls, small);
        System.out.printf(
                "small student: p = %.3g, r = %.3f, null scores %s%n", s.pValue(), s.suspectScore(), s.nullScores());
        // Measured p = 0.042 (score 0.19 against null scores -0.05 to 0.12): a 24-unit student
        // copies little of this quirk-free teacher, so only alpha = 0.05 is asserted here; the
        // evaluation in docs/audit.md measures the power on real data.
        assertThat(s.pValue()).isLessThan(0.05);
        assertThat(s.suspectScore())
                .isGreaterThan(s.nullScores().stream().mapToDouble(v -> v).max().orElseThrow());
        assertThat(s.toMap()).containsKeys("null_models", "null_model_idiosyncrasy_correlations");
        assertThat(s.toMap().get("test")).isEqualTo(AuditResult.NULL_MODEL_TEST);
    }

    @Test
    void oneNullModelIsAnError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> audit(small.get(0), nulls, List.of(small.get(1))))
                .isInstanceOf(AuditException.class)
                .hasMessageContaining("at least 2 null models");
    }
}
