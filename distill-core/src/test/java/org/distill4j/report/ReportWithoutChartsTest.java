package org.distill4j.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.train.EpochRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The core alone has no chart library: reports are complete without one, say how to get charts,
 * and leave no stale chart from an earlier report that had them. (The chart tests proper live in
 * distill-charts, where a renderer is on the class path.)
 */
class ReportWithoutChartsTest {

    @TempDir
    Path dir;

    @Test
    void theCoreFindsNoRendererAndWritesTheReportWithoutCharts() throws IOException {
        assertThat(ChartRenderer.find()).isEmpty();
        Files.write(dir.resolve(ChartRenderer.LOSS), new byte[] {1, 2, 3});

        ReportFiles files = ReportWriter.write(results(), dir);

        assertThat(files.charts()).isEmpty();
        try (Stream<Path> list = Files.list(dir)) {
            assertThat(list.map(p -> p.getFileName().toString()).sorted())
                    .containsExactly("metrics.json", "report.html", "results.md");
        }
        String html = Files.readString(dir.resolve(ReportWriter.REPORT_HTML));
        assertThat(html).contains("distill-charts").doesNotContain("<img");
        assertThat(Files.readString(dir.resolve(ReportWriter.METRICS_JSON))).contains("\"student\"");
    }

    private static ExperimentResults results() {
        List<EpochRecord> history =
                List.of(new EpochRecord(1, 0.9, Double.NaN, 0.9, 0.8, 0.6, 0.85, 2.0, 30_000, 0.01));
        ModelResult student = new ModelResult(
                "student",
                "MLP(hidden=[8])",
                new ModelMetrics(0.98, 0.97, 200, 10_000, 1_000, 4_096, 0.97, 0.1, 0.2, 0.4, 50_000, 256),
                history);
        return new ExperimentResults("no charts", List.of(student), Map.of("epochs", 1), Map.of("java", "17"));
    }
}
