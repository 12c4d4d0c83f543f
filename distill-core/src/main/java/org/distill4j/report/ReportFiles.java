package org.distill4j.report;

import java.nio.file.Path;
import java.util.List;

/**
 * The files one {@link ReportWriter#write} call produced.
 *
 * @param metricsJson the {@code metrics.json} file
 * @param resultsMarkdown the {@code results.md} file
 * @param reportHtml the {@code report.html} file
 * @param charts the PNG charts written next to the page, in page order; only charts that had
 *     data
 */
public record ReportFiles(Path metricsJson, Path resultsMarkdown, Path reportHtml, List<Path> charts) {

    /** Defensive copy: the record is immutable. */
    public ReportFiles {
        charts = List.copyOf(charts);
    }
}
