package org.distill4j.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.distill4j.io.AtomicFiles;

/**
 * Writes an experiment's report into a directory: {@value #METRICS_JSON} (see {@link
 * MetricsJson}), {@value #RESULTS_MD} (a Markdown results table), {@value #REPORT_HTML} (a
 * self-contained page) and the PNG charts the page shows ({@code loss.png}, {@code accuracy.png},
 * {@code size_vs_accuracy.png}) when a {@link ChartRenderer} is on the class path.
 *
 * <p>Every file is written atomically through {@link AtomicFiles}, so a reader never sees a half
 * written one. Files are written in order of importance, metrics first and the page last, so the
 * page never references a chart that is not there yet. A chart with no data (e.g. no model has a
 * training history) is not written, and a stale copy of it from an earlier report in the same
 * directory is deleted, so the page references exactly the charts that exist. Other files in the
 * directory are left alone.
 *
 * <p>Stateless and thread-safe; concurrent writes to the same directory are not coordinated.
 */
public final class ReportWriter {

    /** File name of the machine-readable metrics. */
    public static final String METRICS_JSON = "metrics.json";
    /** File name of the Markdown results table. */
    public static final String RESULTS_MD = "results.md";
    /** File name of the HTML page. */
    public static final String REPORT_HTML = "report.html";

    private static final Optional<ChartRenderer> RENDERER = ChartRenderer.find();

    private ReportWriter() {}

    /**
     * Writes the report into {@code outputDir}, creating it if needed and replacing report files
     * already there.
     *
     * @return the files written
     * @throws IllegalArgumentException if two models share a role; nothing is written then
     * @throws IOException if a file cannot be written; files already written stay
     */
    public static ReportFiles write(ExperimentResults results, Path outputDir) throws IOException {
        requireDistinctRoles(results.models());
        String metrics = MetricsJson.toJson(results);
        String markdown = MarkdownReport.render(results);
        Files.createDirectories(outputDir);

        Path metricsPath = outputDir.resolve(METRICS_JSON);
        AtomicFiles.writeString(metricsPath, metrics);
        Path markdownPath = outputDir.resolve(RESULTS_MD);
        AtomicFiles.writeString(markdownPath, markdown);

        List<RenderedChart> charts = RENDERER.isPresent() ? RENDERER.get().render(results.models()) : List.of();
        List<Path> chartPaths = new ArrayList<>();
        Set<String> written = new HashSet<>();
        for (RenderedChart chart : charts) {
            Path path = outputDir.resolve(chart.fileName());
            AtomicFiles.write(path, chart.png());
            chartPaths.add(path);
            written.add(chart.fileName());
        }
        for (String name : ChartRenderer.FILE_NAMES) {
            if (!written.contains(name)) {
                Files.deleteIfExists(outputDir.resolve(name));
            }
        }

        Path htmlPath = outputDir.resolve(REPORT_HTML);
        AtomicFiles.writeString(htmlPath, HtmlReport.render(results, charts, RENDERER.isPresent()));
        return new ReportFiles(metricsPath, markdownPath, htmlPath, chartPaths);
    }

    private static void requireDistinctRoles(List<ModelResult> models) {
        Set<String> roles = new HashSet<>();
        for (ModelResult model : models) {
            if (!roles.add(model.role())) {
                throw new IllegalArgumentException("duplicate model role: " + model.role());
            }
        }
    }
}
