package org.distill4j.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.lm.corpus.SplitOverlap;
import org.distill4j.train.EpochRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {

    private static final double NAN = Double.NaN;

    @TempDir
    Path dir;

    @Test
    void writesEveryFileAtomicallyWithNoLeftovers() throws IOException {
        ReportFiles files = ReportWriter.write(results(), dir);

        assertThat(files.metricsJson()).isEqualTo(dir.resolve("metrics.json")).isRegularFile();
        assertThat(files.resultsMarkdown()).isEqualTo(dir.resolve("results.md")).isRegularFile();
        assertThat(files.reportHtml()).isEqualTo(dir.resolve("report.html")).isRegularFile();
        assertThat(files.charts())
                .extracting(p -> p.getFileName().toString())
                .containsExactly("loss.png", "accuracy.png", "size_vs_accuracy.png");
        assertThat(fileNames(dir)).noneMatch(name -> name.endsWith(".tmp"));
        assertThat(fileNames(dir))
                .containsExactlyInAnyOrder(
                        "metrics.json",
                        "results.md",
                        "report.html",
                        "loss.png",
                        "accuracy.png",
                        "size_vs_accuracy.png");
    }

    @Test
    void metricsJsonHasSnakeCaseKeysInOrderAndNullForNaN() throws IOException {
        ReportWriter.write(results(), dir);
        String text = Files.readString(dir.resolve("metrics.json"));
        JsonNode root = new ObjectMapper().readTree(text);

        assertThat(text).doesNotContain("NaN").doesNotContain("Infinity");
        assertThat(fieldNames(root)).containsExactly("title", "models", "recipe", "environment");
        assertThat(root.get("title").asText()).isEqualTo("synthetic <mnist>");
        assertThat(fieldNames(root.get("models"))).containsExactly("teacher", "student_scratch", "student_distilled");

        JsonNode teacher = root.get("models").get("teacher");
        assertThat(fieldNames(teacher))
                .containsExactly(
                        "description",
                        "test_accuracy",
                        "test_macro_f1",
                        "test_errors",
                        "test_size",
                        "params",
                        "size_bytes",
                        "agreement_with_teacher",
                        "kl_to_teacher",
                        "latency_ms_p50",
                        "latency_ms_p99",
                        "throughput_per_s",
                        "throughput_batch",
                        "history");
        assertThat(teacher.get("description").asText()).isEqualTo("CNN(channels=[64, 128])");
        assertThat(teacher.get("test_accuracy").asDouble()).isEqualTo(0.992);
        assertThat(teacher.get("test_macro_f1").asDouble()).isEqualTo(0.9871);
        assertThat(teacher.get("test_errors").asInt()).isEqualTo(80);
        assertThat(teacher.get("test_size").asInt()).isEqualTo(10_000);
        assertThat(teacher.get("params").asLong()).isEqualTo(1_200_000L);
        assertThat(teacher.get("size_bytes").asLong()).isEqualTo(4_800_512L);
        assertThat(teacher.get("throughput_batch").asInt()).isEqualTo(256);
        assertThat(teacher.get("history").isArray()).isTrue();
        assertThat(teacher.get("history")).isEmpty();

        JsonNode distilled = root.get("models").get("student_distilled");
        assertThat(distilled.get("kl_to_teacher").asDouble()).isEqualTo(0.05);
        assertThat(distilled.get("latency_ms_p99").isNull()).as("NaN metric").isTrue();
        JsonNode history = distilled.get("history");
        assertThat(history).hasSize(3);
        assertThat(fieldNames(history.get(0)))
                .containsExactly(
                        "epoch",
                        "train_loss",
                        "train_soft_loss",
                        "train_hard_loss",
                        "train_accuracy",
                        "val_loss",
                        "val_accuracy",
                        "seconds",
                        "samples_per_second",
                        "learning_rate");
        assertThat(history.get(0).get("epoch").asInt()).isEqualTo(1);
        assertThat(history.get(0).get("train_soft_loss").asDouble()).isEqualTo(0.6);
        assertThat(history.get(1).get("val_loss").isNull())
                .as("NaN epoch value")
                .isTrue();
        assertThat(history.get(1).get("val_accuracy").isNull()).isTrue();

        JsonNode scratch = root.get("models").get("student_scratch");
        assertThat(scratch.get("history").get(2).get("train_soft_loss").isNull())
                .isTrue();

        assertThat(root.get("recipe").get("note").asText()).isEqualTo("<script>alert(1)</script>");
        assertThat(fieldNames(root.get("recipe").get("kd"))).containsExactly("temperature", "alpha");
        assertThat(root.get("recipe").get("schedule").get(1).isNull())
                .as("NaN in recipe")
                .isTrue();
        assertThat(root.get("environment").get("java").asText()).isEqualTo("17.0.15");
    }

    @Test
    void metricsJsonReadsBackToTheSameResults() throws IOException {
        ExperimentResults results = results();
        ReportWriter.write(results, dir);

        Map<String, ModelResult> models = MetricsJson.read(dir.resolve("metrics.json"));
        assertThat(models.keySet()).containsExactly("teacher", "student_scratch", "student_distilled");
        // Record equality compares doubles with Double.compare, so NaN round-trips as equal.
        assertThat(List.copyOf(models.values())).isEqualTo(results.models());

        ExperimentResults back = MetricsJson.readResults(dir.resolve("metrics.json"));
        assertThat(back.title()).isEqualTo(results.title());
        assertThat(back.models()).isEqualTo(results.models());
        assertThat(back.environment()).isEqualTo(results.environment());
        assertThat(back.recipe().get("note")).isEqualTo("<script>alert(1)</script>");
        assertThat(back.data()).isEmpty();
    }

    @Test
    void factsAboutTheSplitReadBackAndTheReportsSayThem() throws IOException {
        ExperimentResults base = results();
        Map<String, Object> overlap =
                SplitOverlap.report(Map.of("test", new SplitOverlap.Result(500, 480, 120, 9_000)));
        ExperimentResults results = new ExperimentResults(
                base.title(), base.models(), base.recipe(), base.environment(), Map.of("split_overlap", overlap));
        ReportWriter.write(results, dir);

        ExperimentResults back = MetricsJson.readResults(dir.resolve("metrics.json"));
        assertThat(back.data()).isEqualTo(results.data());
        String sentence = "25.0% of the test rows (120 of 480 checked) have a near duplicate among the training rows";
        assertThat(Files.readString(dir.resolve("results.md"))).contains(sentence);
        assertThat(Files.readString(dir.resolve("report.html"))).contains(sentence);
        assertThat(Files.readString(dir.resolve("results.md"))).contains("partly measure remembering");

        // A split that repeats nothing says so without the caveat.
        ExperimentResults clean = new ExperimentResults(
                base.title(),
                base.models(),
                base.recipe(),
                base.environment(),
                Map.of(
                        "split_overlap",
                        SplitOverlap.report(Map.of("test", new SplitOverlap.Result(500, 480, 0, 9_000)))));
        ReportWriter.write(clean, dir);
        assertThat(Files.readString(dir.resolve("results.md")))
                .contains("0.0% of the test rows (0 of 480 checked) have a near duplicate")
                .doesNotContain("partly measure remembering");
    }

    @Test
    void resultsMarkdownHasOneRowPerModelAndTheGapLine() throws IOException {
        ReportWriter.write(results(), dir);
        List<String> lines = Files.readAllLines(dir.resolve("results.md"));

        assertThat(lines.get(0)).isEqualTo("# synthetic <mnist>");
        List<String> rows = lines.stream().filter(l -> l.startsWith("|")).toList();
        assertThat(rows).hasSize(2 + 3);
        assertThat(rows.get(0))
                .contains(
                        "Model",
                        "Description",
                        "Test accuracy",
                        "Test macro-F1",
                        "Test errors",
                        "Params",
                        "Size",
                        "Agreement with teacher",
                        "p50 latency (ms)",
                        "Throughput (/s)");
        assertThat(rows.get(2))
                .isEqualTo("| teacher | CNN(channels=[64, 128]) | 99.20% | 98.71% | 80 / 10,000 | 1,200,000"
                        + " | 4.58 MiB | 100.00% | 1.250 | 8,000 |");
        assertThat(rows.get(3)).startsWith("| student_scratch | MLP(hidden=[128]) \\| tiny | 98.00% ");
        assertThat(rows.get(4))
                .isEqualTo("| student_distilled | MLP(hidden=[128]) | 98.70% | 98.03% | 130 / 10,000 | 101,770"
                        + " | 397.6 KiB | 99.10% | 0.213 | 51,234 |");
        // (200 - 130) / (200 - 80) = 58.33%
        assertThat(lines)
                .contains("Distillation closed 58.3% of the teacher-vs-scratch error gap"
                        + " (test errors: teacher 80, scratch 200, distilled 130).");
        assertThat(String.join("\n", lines)).doesNotContain("NaN");
    }

    @Test
    void gapIsNotDefinedWhenTheTeacherIsNoBetterThanScratch() throws IOException {
        List<ModelResult> models = new ArrayList<>(results().models());
        models.set(0, model("teacher", 210, 10_000, List.of()));
        ReportWriter.write(withModels(models), dir);

        ErrorGap gap = ErrorGap.of(models).orElseThrow();
        assertThat(gap.closedFraction()).isEmpty();
        assertThat(Files.readString(dir.resolve("results.md")))
                .contains("Distillation gap: not defined")
                .doesNotContain("Distillation closed");
    }

    @Test
    void gapUsesErrorRatesWhenTestSizesDiffer() {
        List<ModelResult> models = List.of(
                model("teacher", 10, 1_000, List.of()),
                model("student_scratch", 60, 2_000, List.of()),
                model("student_distilled", 40, 2_000, List.of()));
        ErrorGap gap = ErrorGap.of(models).orElseThrow();

        assertThat(gap.counts()).isFalse();
        // rates 1%, 3%, 2%: (3 - 2) / (3 - 1)
        assertThat(gap.closedFraction().getAsDouble()).isCloseTo(0.5, within(1e-12));
        assertThat(gap.describe()).contains("50.0%", "teacher 1.00%");
    }

    @Test
    void noGapLineWithoutAllThreeRoles() throws IOException {
        ReportWriter.write(withModels(results().models().subList(0, 2)), dir);

        assertThat(Files.readString(dir.resolve("results.md"))).doesNotContain("Distillation");
        assertThat(Files.readString(dir.resolve("report.html"))).doesNotContain("Distillation");
    }

    @Test
    void chartsAreReadablePngsOfTheDocumentedSize() throws IOException {
        ReportFiles files = ReportWriter.write(results(), dir);

        for (Path png : files.charts()) {
            BufferedImage image = ImageIO.read(png.toFile());
            assertThat(image).as(png.toString()).isNotNull();
            assertThat(image.getWidth()).isEqualTo(ChartRenderer.WIDTH);
            assertThat(image.getHeight()).isEqualTo(ChartRenderer.HEIGHT);
            assertThat(luminanceVariance(image)).as("blank " + png).isGreaterThan(100.0);
            assertThat(distinctColours(image)).as("colours in " + png).isGreaterThan(8);
        }
    }

    @Test
    void htmlIsSelfContainedReferencesExactlyTheChartsAndEscapes() throws IOException {
        ReportWriter.write(results(), dir);
        String html = Files.readString(dir.resolve("report.html"));

        assertThat(imageSources(html)).isEqualTo(pngFiles(dir));
        assertThat(html).contains("<title>synthetic &lt;mnist&gt; - distill4j report</title>");
        assertThat(html).contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        assertThat(html).doesNotContain("<script").doesNotContain("<link").doesNotContain("http");
        assertThat(html).contains("<style>", "<pre>", "student_distilled", "99.20%");
        assertThat(html).contains("Distillation closed 58.3%");
        assertThat(html).contains("<th>java</th><td>17.0.15</td>");
        assertThat(html).contains("MLP(hidden=[128]) | tiny");
    }

    @Test
    void modelsWithoutHistoryGetNoEpochChartsAndStaleChartsAreRemoved() throws IOException {
        Files.write(dir.resolve("loss.png"), new byte[] {1, 2, 3});
        Files.write(dir.resolve("accuracy.png"), new byte[] {1, 2, 3});
        List<ModelResult> loaded =
                List.of(model("teacher", 80, 10_000, List.of()), model("student_distilled", 130, 10_000, List.of()));

        ReportFiles files = ReportWriter.write(withModels(loaded), dir);

        assertThat(files.charts()).containsExactly(dir.resolve("size_vs_accuracy.png"));
        assertThat(pngFiles(dir)).containsExactly("size_vs_accuracy.png");
        assertThat(imageSources(Files.readString(dir.resolve("report.html")))).containsExactly("size_vs_accuracy.png");
    }

    @Test
    void seriesWithoutAnyFiniteValueAreSkipped() throws IOException {
        EpochRecord unmeasured = new EpochRecord(1, NAN, NAN, NAN, NAN, NAN, NAN, 1, 1, 0.1);
        List<ModelResult> models = List.of(model("student_scratch", 100, 1_000, List.of(unmeasured)));

        ReportFiles files = ReportWriter.write(withModels(models), dir);

        assertThat(files.charts()).extracting(p -> p.getFileName().toString()).containsExactly("size_vs_accuracy.png");
    }

    @Test
    void duplicateRolesAreRejectedBeforeAnythingIsWritten() {
        List<ModelResult> models = List.of(model("teacher", 1, 10, List.of()), model("teacher", 2, 10, List.of()));
        Path out = dir.resolve("out");

        assertThatThrownBy(() -> ReportWriter.write(withModels(models), out))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("teacher");
        assertThat(out).doesNotExist();
    }

    @Test
    void sameResultsGiveTheSameTextFiles() throws IOException {
        ReportWriter.write(results(), dir.resolve("a"));
        ReportWriter.write(results(), dir.resolve("b"));

        for (String name : List.of("metrics.json", "results.md", "report.html")) {
            assertThat(dir.resolve("a").resolve(name))
                    .hasSameTextualContentAs(dir.resolve("b").resolve(name));
        }
    }

    // --- fixtures ---

    private static ExperimentResults results() {
        List<EpochRecord> scratchHistory = List.of(
                new EpochRecord(1, 0.90, NAN, 0.90, 0.80, 0.60, 0.85, 2.0, 30_000, 0.01),
                new EpochRecord(2, 0.50, NAN, 0.50, 0.90, 0.40, 0.92, 2.0, 30_000, 0.01),
                new EpochRecord(3, 0.35, NAN, 0.35, 0.95, 0.38, 0.955, 2.0, 30_000, 0.001));
        List<EpochRecord> distilledHistory = List.of(
                new EpochRecord(1, 1.40, 0.60, 0.80, 0.78, 0.55, 0.87, 2.5, 24_000, 0.01),
                new EpochRecord(2, 0.90, 0.45, 0.45, 0.91, NAN, NAN, 2.5, 24_000, 0.01),
                new EpochRecord(3, 0.70, 0.40, 0.30, 0.96, 0.30, 0.97, 2.5, 24_000, 0.001));
        List<ModelResult> models = List.of(
                new ModelResult(
                        "teacher",
                        "CNN(channels=[64, 128])",
                        new ModelMetrics(
                                0.992, 0.9871, 80, 10_000, 1_200_000, 4_800_512, 1.0, 0.0, 1.25, 2.5, 8_000, 256),
                        List.of()),
                new ModelResult(
                        "student_scratch",
                        "MLP(hidden=[128]) | tiny",
                        new ModelMetrics(
                                0.98, 0.9712, 200, 10_000, 101_770, 407_136, 0.975, 0.12, 0.2, 0.4, 50_000, 256),
                        scratchHistory),
                new ModelResult(
                        "student_distilled",
                        "MLP(hidden=[128])",
                        new ModelMetrics(
                                0.987, 0.9803, 130, 10_000, 101_770, 407_136, 0.991, 0.05, 0.2134, NAN, 51_234.4, 256),
                        distilledHistory));
        Map<String, Object> kd = new LinkedHashMap<>();
        kd.put("temperature", 4.0);
        kd.put("alpha", 0.9);
        Map<String, Object> recipe = Map.of(
                "kd", kd, "epochs", 3, "note", "<script>alert(1)</script>", "schedule", List.of(0.01, NAN, 0.001));
        return new ExperimentResults("synthetic <mnist>", models, recipe, Map.of("java", "17.0.15", "djl", "0.36.0"));
    }

    private static ExperimentResults withModels(List<ModelResult> models) {
        ExperimentResults base = results();
        return new ExperimentResults(base.title(), models, base.recipe(), base.environment());
    }

    private static ModelResult model(String role, int errors, int size, List<EpochRecord> history) {
        double accuracy = 1.0 - (double) errors / size;
        return new ModelResult(
                role,
                "m",
                new ModelMetrics(accuracy, accuracy, errors, size, 1000, 4096, 0.9, 0.1, 0.1, 0.2, 100, 32),
                history);
    }

    // --- helpers ---

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static Set<String> fileNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    private static Set<String> pngFiles(Path dir) throws IOException {
        return fileNames(dir).stream().filter(n -> n.endsWith(".png")).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> imageSources(String html) {
        Matcher m = Pattern.compile("<img[^>]*\\ssrc=\"([^\"]*)\"").matcher(html);
        Set<String> sources = new TreeSet<>();
        while (m.find()) {
            sources.add(m.group(1));
        }
        return sources;
    }

    private static double luminanceVariance(BufferedImage image) {
        double sum = 0;
        double sumSq = 0;
        long n = (long) image.getWidth() * image.getHeight();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                double l = 0.299 * ((rgb >> 16) & 0xff) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff);
                sum += l;
                sumSq += l * l;
            }
        }
        double mean = sum / n;
        return sumSq / n - mean * mean;
    }

    private static int distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                colours.add(image.getRGB(x, y));
            }
        }
        return colours.size();
    }
}
