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
    static List<Path> nulls = new ArrayList<>();
    static List<AuditedModel> open = new ArrayList<>();

    @BeforeAll
    static void train() throws Exception {
        long t0 = System.nanoTime();
        teacher = AuditModels.scratch(List.of(64), 15, 1, TRAIN, dir.resolve("teacher"));
        student = AuditModels.distilled(teacher, List.of(64), 15, 2, 1.0, TRAIN, dir.resolve("student"));
        for (int i = 0; i < NULLS; i++) {
            nulls.add(AuditModels.scratch(List.of(64), 15, 100 + i, TRAIN, dir.resolve("null-" + i)));
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
        List<AuditedModel> refs = new ArrayList<>();
        for (Path r : references) {
            refs.add(load(r));
        }
        return DistillationAudit.builder()
                .setTeacher(load(teacher))
                .setSuspect(load(suspect))
                .addReferences(refs)
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
}
