package org.distill4j.lm.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code data.student_share}: the teacher trains on every training window, the students (and the
 * top-k cache) on the seeded sample, and {@code metrics.json} says which documents each saw; with
 * {@code student.training.select: best_validation} each student ends at its best validation step.
 */
class LmStudentShareTest {

    @TempDir
    Path tmp;

    @Test
    void theTeacherTrainsOnAllTrainingDocumentsAndTheStudentsOnTheSample() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        String yaml = """
                name: tiny-share
                seed: 5
                data: {format: text, path: %s, max_bytes: 50000, validation: 0.1, test: 0.1, context: 32, student_share: 0.3}
                teacher: {layers: 1, width: 32, heads: 2, training: {steps: 20, batch_size: 8, learning_rate: 0.01}}
                student: {layers: 1, width: 16, heads: 2, training: {steps: 10, batch_size: 8, learning_rate: 0.01, select: best_validation}}
                distillation: {variant: topk, k: 4, alpha: 0.5}
                evaluation: {prompts: ["GNU "], sample_tokens: 4, generation_tokens: 4}
                """.formatted(DebianCorpus.trainFile());
        LmRecipe recipe = LmRecipe.parse(yaml, "share", tmp, List.of());
        String log = LmRuns.run(recipe, tmp.resolve("out"), tmp.resolve("cache"));
        LmTrainingCorpus corpus = LmTrainingCorpus.read(recipe);
        int all = corpus.split().train().size();
        int students = corpus.studentDocuments().size();
        assertThat(students).isBetween((int) (0.2 * all), (int) (0.4 * all));
        assertThat(corpus.teacherTrain().size())
                .isGreaterThan(2 * corpus.train().size());

        Matcher m = Pattern.compile("students: ([\\d,]+) of the training documents \\(data.student_share 0.3\\), "
                        + "([\\d,]+) windows; a teacher trained here uses all ([\\d,]+) windows")
                .matcher(log);
        assertThat(m.find()).as(log).isTrue();
        assertThat(Integer.parseInt(m.group(1).replace(",", ""))).isEqualTo(students);
        assertThat(Integer.parseInt(m.group(2).replace(",", "")))
                .isEqualTo(corpus.train().size());
        assertThat(Integer.parseInt(m.group(3).replace(",", "")))
                .isEqualTo(corpus.teacherTrain().size());

        JsonNode metrics =
                new ObjectMapper().readTree(tmp.resolve("out/metrics.json").toFile());
        JsonNode info = metrics.get("corpus");
        assertThat(info.get("student_share").asDouble()).isEqualTo(0.3);
        assertThat(info.get("student_documents").asInt()).isEqualTo(students);
        assertThat(info.get("student_train_sha256").asText()).isEqualTo(corpus.trainHash());
        assertThat(info.get("train_sha256").asText())
                .isEqualTo(LmTrainingCorpus.documentsHash(corpus.split().train()))
                .isNotEqualTo(corpus.trainHash());
        assertThat(info.get("train_tokens").asLong()).isEqualTo(corpus.train().targetTokens());

        // Early stopping: each student's validation score is the best of its curve, the teacher's has none.
        assertThat(metrics.at("/models/0/selected_step").isMissingNode()).isTrue();
        for (int i = 1; i <= 2; i++) {
            JsonNode row = metrics.get("models").get(i);
            JsonNode curve = row.get("validation_curve");
            assertThat(curve).hasSize(10);
            double min = Double.POSITIVE_INFINITY;
            int argmin = -1;
            for (JsonNode p : curve) {
                if (p.get(1).asDouble() < min) {
                    min = p.get(1).asDouble();
                    argmin = p.get(0).asInt();
                }
            }
            assertThat(row.get("selected_step").asInt()).isEqualTo(argmin);
            assertThat(row.get("validation_bits_per_byte").asDouble()).isCloseTo(min, within(1e-9));
            // The log has a line per evaluation, with the curve's validation score.
            String name = row.get("model").asText();
            Matcher line = Pattern.compile(
                            Pattern.quote(name) + " +step (\\d+)/10: loss [\\d.]+, validation ([\\d.]+) bits/byte")
                    .matcher(log);
            int lines = 0;
            while (line.find()) {
                JsonNode point = curve.get(lines++);
                assertThat(Integer.parseInt(line.group(1)))
                        .isEqualTo(point.get(0).asInt());
                assertThat(Double.parseDouble(line.group(2)))
                        .isCloseTo(point.get(1).asDouble(), within(5e-4));
            }
            assertThat(lines).as(log).isEqualTo(10);
        }
        // The teacher (no selection) reports its loss every tenth of its 20 steps, without validation.
        assertThat(Pattern.compile("teacher +step \\d+/20: loss [\\d.]+, [\\d,]+ training tokens/s")
                        .matcher(log)
                        .results()
                        .count())
                .as(log)
                .isEqualTo(10);

        // The teacher's outputs were collected for the students' windows only.
        Path cache;
        try (Stream<Path> s = Files.list(tmp.resolve("cache"))) {
            cache = s.filter(p -> p.getFileName().toString().startsWith("lm-topk-"))
                    .findFirst()
                    .orElseThrow();
        }
        String key = LmTrainingCorpus.topKCacheKey(
                org.distill4j.lm.model.LanguageModel.contentHash(tmp.resolve("out/teacher")),
                corpus.trainHash(),
                ByteTokenizer.INSTANCE.identity(),
                4,
                32);
        try (TopKCache c = TopKCache.open(cache, key)) {
            assertThat(c.positions()).isEqualTo(corpus.train().targetTokens());
        }
    }
}
