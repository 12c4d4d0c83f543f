package org.distill4j.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.lm.corpus.SplitOverlap;

/**
 * Renders {@code results.md}: a heading, the results table, the distillation-gap line, the distilled
 * student against its scratch twin with the test set's uncertainty, and what the
 * results say about the data's split (test rows identical to, or near duplicates of, training rows).
 */
final class MarkdownReport {

    private MarkdownReport() {}

    /** The whole file, ending in a newline. */
    static String render(ExperimentResults results) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(inline(results.title())).append("\n\n");
        ResultsTable table = ResultsTable.of(results.models());
        appendRow(md, table.headers().stream().map(MarkdownReport::cell).toList());
        appendRow(md, table.numeric().stream().map(n -> n ? "---:" : "---").toList());
        for (List<String> row : table.rows()) {
            appendRow(md, row.stream().map(MarkdownReport::cell).toList());
        }
        ErrorGap.of(results.models())
                .ifPresent(gap -> md.append('\n').append(gap.describe()).append('\n'));
        String comparison = comparisonSentence(results);
        if (comparison != null) {
            md.append('\n').append(comparison).append('\n');
        }
        String identical = identicalSentence(results);
        if (identical != null) {
            md.append('\n').append(identical).append('\n');
        }
        String overlap = overlapSentence(results);
        if (overlap != null) {
            md.append('\n').append(overlap).append('\n');
        }
        String calibration = calibrationSentence(results);
        if (calibration != null) {
            md.append('\n').append(calibration).append('\n');
        }
        return md.toString();
    }

    /**
     * The distilled student against its scratch twin on the same test rows ({@code
     * data.test_comparison}, see {@code eval.PairedComparison}), as a sentence, or null when the
     * results do not record it (runs before it existed).
     */
    static String comparisonSentence(ExperimentResults results) {
        if (!(results.data().get("test_comparison") instanceof Map<?, ?> c)
                || !(c.get("accuracy") instanceof Map<?, ?> accuracy)
                || !(c.get("macro_f1") instanceof Map<?, ?> macro)
                || !(c.get("mcnemar_exact") instanceof Map<?, ?> mcnemar)) {
            return null;
        }
        Object first = c.get("first");
        Object second = c.get("second");
        return String.format(
                Locale.ROOT,
                "On the same %,d test rows, %s against %s: accuracy %s points (%s; %,d rows only %s gets right, %,d"
                        + " only %s: McNemar exact p = %s), macro-F1 %s points (%s). The intervals (95%%, paired"
                        + " bootstrap, %,d resamples of the test rows) cover the choice of test rows, not training"
                        + " seeds.",
                ((Number) c.get("rows")).longValue(),
                first,
                second,
                points(accuracy.get("difference")),
                interval(accuracy),
                ((Number) mcnemar.get("only_first_right")).longValue(),
                first,
                ((Number) mcnemar.get("only_second_right")).longValue(),
                second,
                pValue(((Number) mcnemar.get("p_value")).doubleValue()),
                points(macro.get("difference")),
                interval(macro),
                ((Number) c.get("bootstrap_resamples")).longValue());
    }

    private static String points(Object fraction) {
        return String.format(Locale.ROOT, "%+.2f", 100 * ((Number) fraction).doubleValue());
    }

    private static String interval(Map<?, ?> difference) {
        List<?> bounds = (List<?>) difference.get("interval_95");
        return "interval " + points(bounds.get(0)) + " to " + points(bounds.get(1));
    }

    private static String pValue(double p) {
        return p >= 0.001 ? String.format(Locale.ROOT, "%.3f", p) : String.format(Locale.ROOT, "%.1e", p);
    }

    /**
     * The temperature the teacher was calibrated with ({@code data.teacher_calibration}), as a
     * sentence, or null when the run did not calibrate it.
     */
    static String calibrationSentence(ExperimentResults results) {
        if (!(results.data().get("teacher_calibration") instanceof Map<?, ?> fit)) {
            return null;
        }
        return String.format(
                Locale.ROOT,
                "The distilled student learned from the teacher calibrated on %,d validation rows: its logits"
                        + " divided by %.4f (validation cross-entropy %.4f -> %.4f nats) before the temperature T.",
                ((Number) fit.get("rows")).longValue(),
                ((Number) fit.get("temperature")).doubleValue(),
                ((Number) fit.get("cross_entropy_before")).doubleValue(),
                ((Number) fit.get("cross_entropy_after")).doubleValue());
    }

    /**
     * How many test rows are identical to a training row ({@code data.identical_to_training}), as a
     * sentence, or null when none is (or the results do not say).
     */
    static String identicalSentence(ExperimentResults results) {
        if (!(results.data().get("identical_to_training") instanceof Map<?, ?> identical)
                || !(identical.get("test") instanceof Map<?, ?> test)
                || !(test.get("rows") instanceof Number rows)
                || rows.longValue() == 0) {
            return null;
        }
        long other = test.get("with_another_label") instanceof Number n ? n.longValue() : 0;
        return String.format(
                Locale.ROOT,
                "%,d test rows (%.1f%%) are identical to a training row%s.",
                rows.longValue(),
                100 * ((Number) test.get("share")).doubleValue(),
                other == 0 ? "" : String.format(Locale.ROOT, ", %,d of them with another label", other));
    }

    /**
     * What the data's split shares between training and test ({@code data.split_overlap}), as a
     * sentence, or null when the results record none (dense data, or runs before the check).
     */
    static String overlapSentence(ExperimentResults results) {
        Map<?, ?> overlap = (Map<?, ?>) results.data().get("split_overlap");
        String s = SplitOverlap.describe(overlap, "rows");
        if (s == null) {
            return null;
        }
        StringBuilder b = new StringBuilder(Character.toUpperCase(s.charAt(0)) + s.substring(1))
                .append(
                        overlap.get("test") instanceof Map<?, ?> test
                                        && test.get("near_duplicates") instanceof Number n
                                        && n.longValue() > 0
                                ? ": the test scores partly measure remembering the training rows."
                                : ".");
        if (overlap.get("test_without_near_duplicate") instanceof Map<?, ?> novel) {
            b.append(String.format(
                    Locale.ROOT, " On the %,d test rows without one:", ((Number) novel.get("rows")).longValue()));
            String sep = " ";
            for (Map.Entry<?, ?> e : novel.entrySet()) {
                if (e.getValue() instanceof Map<?, ?> score) {
                    b.append(sep)
                            .append(String.format(
                                    Locale.ROOT,
                                    "%s %.2f%% accuracy, macro-F1 %.2f%%",
                                    e.getKey(),
                                    100 * ((Number) score.get("accuracy")).doubleValue(),
                                    100 * ((Number) score.get("macro_f1")).doubleValue()));
                    sep = "; ";
                }
            }
            b.append('.');
        }
        return b.toString();
    }

    private static void appendRow(StringBuilder md, List<String> cells) {
        md.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    /** A table cell: a pipe would end the cell and a newline the row. */
    private static String cell(String text) {
        return inline(text).replace("|", "\\|");
    }

    private static String inline(String text) {
        return text == null ? "" : text.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
