/**
 * Experiment reports: {@link org.distill4j.report.ReportWriter} turns an {@link
 * org.distill4j.report.ExperimentResults} into {@code metrics.json}, {@code results.md}, {@code
 * report.html} and PNG charts, each written atomically; {@link org.distill4j.report.MetricsJson}
 * reads {@code metrics.json} back.
 */
package org.distill4j.report;
