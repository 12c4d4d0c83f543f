package org.distill4j.report;

import java.util.List;
import org.distill4j.eval.ModelMetrics;

/**
 * The results table both the Markdown and the HTML report show: one row per model, cells already
 * formatted as text, so the two renderings cannot disagree.
 *
 * @param headers column titles
 * @param numeric per column, whether it holds numbers (right-aligned)
 * @param rows one list of cells per model, in display order
 */
record ResultsTable(List<String> headers, List<Boolean> numeric, List<List<String>> rows) {

    /** Defensive copies: tables are immutable. */
    ResultsTable {
        headers = List.copyOf(headers);
        numeric = List.copyOf(numeric);
        rows = rows.stream().map(List::copyOf).toList();
    }

    /** Builds the table of an experiment's models. */
    static ResultsTable of(List<ModelResult> models) {
        List<String> headers = List.of(
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
        List<Boolean> numeric = List.of(false, false, true, true, true, true, true, true, true, true);
        List<List<String>> rows = models.stream().map(ResultsTable::row).toList();
        return new ResultsTable(headers, numeric, rows);
    }

    private static List<String> row(ModelResult model) {
        ModelMetrics m = model.metrics();
        return List.of(
                model.role(),
                model.description(),
                Formats.percent(m.testAccuracy()),
                Formats.percent(m.testMacroF1()),
                Formats.count(m.testErrors()) + " / " + Formats.count(m.testSize()),
                Formats.count(m.params()),
                Formats.bytes(m.sizeBytes()),
                Formats.percent(m.agreementWithTeacher()),
                Formats.millis(m.latencyMsP50()),
                Formats.rate(m.throughputPerS()));
    }
}
