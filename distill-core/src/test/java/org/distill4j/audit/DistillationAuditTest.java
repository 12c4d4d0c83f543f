package org.distill4j.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
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
 * The audit on real, tiny models trained here: a teacher, students distilled from it, references
 * and an innocent model trained from scratch on the same data with other seeds.
 */
class DistillationAuditTest {

    static final InMemoryExampleSet TRAIN = SyntheticData.blobs("blobs/train", 1500, 6, 24, 1.6, 1);
    static final InMemoryExampleSet TEST = SyntheticData.blobs("blobs/test", 1200, 6, 24, 1.6, 2);
    /**
     * The teacher's private training data: the same inputs, but in one region of the input space
     * (first feature above 0.3) it learnt that class c is c + 1. Students distilled from it inherit
     * this idiosyncrasy; models trained on the public labels do not.
     */
    static final InMemoryExampleSet PRIVATE = quirky(TRAIN);

    @TempDir
    static Path dir;

    static Path teacher;
    static Path distilled;
    static Path distilledWithLabels;
    static Path innocent;
    static List<Path> references = new ArrayList<>();
    static List<AuditedModel> open = new ArrayList<>();

    @BeforeAll
    static void train() throws Exception {
        long t0 = System.nanoTime();
        teacher = AuditModels.scratch(List.of(128), 30, 7, PRIVATE, dir.resolve("teacher"));
        distilled = AuditModels.distilled(teacher, List.of(64), 20, 11, 1.0, TRAIN, dir.resolve("distilled"));
        distilledWithLabels =
                AuditModels.distilled(teacher, List.of(32), 20, 12, 0.7, TRAIN, dir.resolve("distilled-labels"));
        for (int i = 0; i < 5; i++) {
            references.add(AuditModels.scratch(
                    i % 2 == 0 ? List.of(64) : List.of(128), 20, 100 + i, TRAIN, dir.resolve("ref-" + i)));
        }
        innocent = AuditModels.scratch(List.of(64), 20, 200, TRAIN, dir.resolve("innocent"));
        System.out.printf("trained the audit's models in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    static InMemoryExampleSet quirky(InMemoryExampleSet set) {
        int f = set.featureSize();
        float[] x = new float[set.size() * f];
        int[] rows = new int[set.size()];
        java.util.Arrays.setAll(rows, i -> i);
        set.copyFeatures(rows, x);
        int[] y = new int[set.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = x[i * f] > 0.3f ? (set.label(i) + 1) % set.numClasses() : set.label(i);
        }
        return new InMemoryExampleSet("blobs/private", set.featureShape(), x, y, set.classNames());
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

    static AuditResult audit(Path suspect, int queries) throws Exception {
        List<AuditedModel> refs = new ArrayList<>();
        for (Path r : references) {
            refs.add(load(r));
        }
        AuditResult r = DistillationAudit.builder()
                .setTeacher(load(teacher))
                .setSuspect(load(suspect))
                .addReferences(refs)
                .setData(TEST)
                .optQueries(queries)
                .optAlpha(0.01)
                .build()
                .run();
        System.out.printf(
                "%s: p = %.3g, r = %.3f, references %s%n",
                suspect.getFileName(), r.pValue(), r.suspectScore(), r.referenceScores());
        return r;
    }

    @Test
    void aStudentDistilledFromTheTeacherIsFound() throws Exception {
        AuditResult r = audit(distilled, 400);
        assertThat(r.distilled()).isTrue();
        assertThat(r.pValue()).isLessThan(0.01);
        assertThat(r.divergenceRatio()).isGreaterThan(1.5);
        assertThat(r.probesPerModel()).isEqualTo(400);
        assertThat(r.queries()).containsEntry("suspect " + distilled, 400L);
        assertThat(r.rankPValue()).isEqualTo(1.0 / 6);
        assertThat(r.verdict()).startsWith("DISTILLED");
    }

    @Test
    void aStudentDistilledWithTrueLabelsToo() throws Exception {
        AuditResult r = audit(distilledWithLabels, 400);
        assertThat(r.distilled()).isTrue();
    }

    @Test
    void anIndependentModelIsNotAccused() throws Exception {
        AuditResult r = audit(innocent, 400);
        assertThat(r.distilled()).isFalse();
        assertThat(r.pValue()).isGreaterThan(0.01);
        assertThat(r.verdict()).startsWith("NOT SHOWN");
    }

    @Test
    void noReferenceIsAccusedWhenItIsTheSuspect() throws Exception {
        // The null hypothesis, five more times: each reference in turn as the suspect, the others as references.
        for (int i = 0; i < references.size(); i++) {
            List<AuditedModel> refs = new ArrayList<>();
            for (int j = 0; j < references.size(); j++) {
                if (j != i) {
                    refs.add(load(references.get(j)));
                }
            }
            AuditResult r = DistillationAudit.builder()
                    .setTeacher(load(teacher))
                    .setSuspect(load(references.get(i)))
                    .addReferences(refs)
                    .setData(TEST)
                    .optQueries(200)
                    .build()
                    .run();
            System.out.printf("reference %d as suspect: p = %.3f%n", i, r.pValue());
            assertThat(r.distilled()).as("reference %d, p = %s", i, r.pValue()).isFalse();
        }
    }

    @Test
    void reportsAreWritten() throws Exception {
        AuditResult r = audit(distilled, 100);
        Path out = dir.resolve("report");
        AuditReport.write(r, out);
        assertThat(Files.readString(out.resolve(AuditReport.JSON)))
                .contains("\"p_value\"", "\"verdict\" : \"distilled\"");
        assertThat(Files.readString(out.resolve(AuditReport.HTML))).contains("<svg", "DISTILLED", "Student");
    }

    @Test
    void aSuspectWithAnotherLabelSetIsRefused() throws Exception {
        InMemoryExampleSet five = SyntheticData.blobs("blobs/five", 400, 5, 24, 1.6, 3);
        Path other = AuditModels.scratch(List.of(16), 2, 1, five, dir.resolve("five-classes"));
        assertThatThrownBy(() -> audit(other, 100))
                .isInstanceOf(AuditException.class)
                .hasMessageContaining("suspect")
                .hasMessageContaining("has classes [c0, c1, c2, c3, c4]")
                .hasMessageContaining("[c0, c1, c2, c3, c4, c5]");
    }

    @Test
    void aSuspectWithAnotherInputShapeIsRefused() throws Exception {
        InMemoryExampleSet wide = SyntheticData.blobs("blobs/wide", 400, 6, 30, 1.6, 3);
        Path other = AuditModels.scratch(List.of(16), 2, 1, wide, dir.resolve("wide"));
        assertThatThrownBy(() -> audit(other, 100))
                .isInstanceOf(AuditException.class)
                .hasMessageContaining("takes inputs of shape [30]")
                .hasMessageContaining("shape [24]");
    }

    @Test
    void tooFewReferencesIsAClearError() throws Exception {
        assertThatThrownBy(() -> DistillationAudit.builder()
                        .setTeacher(load(teacher))
                        .setSuspect(load(distilled))
                        .addReferences(List.of(load(references.get(0))))
                        .setData(TEST)
                        .build()
                        .run())
                .isInstanceOf(AuditException.class)
                .hasMessageContaining("at least 2 reference models");
    }
}
