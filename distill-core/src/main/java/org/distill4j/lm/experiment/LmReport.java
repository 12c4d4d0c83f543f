package org.distill4j.lm.experiment;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.eval.PairedLossComparison;
import org.distill4j.lm.corpus.SplitOverlap;

/**
 * Renders a language-model run's metrics (the map {@link LmExperiment#run()} returns) as {@code
 * results.md} and a self-contained {@code report.html} (tables, learning curves as inline SVG,
 * samples). Pure functions of the metrics.
 */
final class LmReport {

    private LmReport() {}

    static String markdown(LmRecipe recipe, Map<String, Object> m) {
        StringBuilder sb = new StringBuilder("# " + recipe.name() + ": language-model distillation\n\n");
        Map<String, Object> c = map(m.get("corpus"));
        sb.append(String.format(
                Locale.ROOT,
                "Corpus `%s` (%,d documents, %,d bytes, SHA-256 %s), split by %s "
                        + "(seed %s), tokenizer `%s`, windows of %d. Distillation: %s.%n%n",
                c.get("path"),
                (long) num(c.get("documents")),
                (long) num(c.get("bytes")),
                String.valueOf(c.get("sha256")).substring(0, 12),
                c.get("split_by") == null ? "document" : "near-duplicate group",
                c.get("split_seed"),
                m.get("tokenizer"),
                recipe.context(),
                m.get("distillation")));
        String overlap = overlapSentence(c);
        if (overlap != null) {
            sb.append(Character.toUpperCase(overlap.charAt(0))).append(overlap.substring(1));
            String novel = novelSentence(m);
            sb.append(novel == null ? "" : " " + novel).append("\n\n");
        }
        String comparison = comparisonSentence(m);
        if (comparison != null) {
            sb.append(comparison).append("\n\n");
        }
        sb.append("| model | params | size | val bits/byte | val ppl | test bits/byte | test ppl | top-1 agreement "
                + "| training tokens | training tokens/s | generation tokens/s | ms/token | generation tokens/s, DJL "
                + "| generation tokens/s, batch " + LmExperiment.GENERATION_BATCH + " |\n");
        sb.append(
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        Map<String, Object> u = map(m.get("unigram"));
        sb.append(String.format(
                Locale.ROOT,
                "| unigram baseline | – | – | %.3f | – | %.3f | – | – | – | – | – | – | – | – |%n",
                num(u.get("validation_bits_per_byte")),
                num(u.get("test_bits_per_byte"))));
        for (Map<String, Object> r : rows(m)) {
            if (r.get("parameters") == null) {
                // A teacher behind an API: only its outputs are seen, so it has what they tell at most.
                if (r.get("test_bits_per_byte") == null) {
                    sb.append("| ")
                            .append(r.get("model"))
                            .append(" (not in-process) | – | – | – | – | – | – | – | – | – | – | – | – | – |\n");
                } else {
                    sb.append(String.format(
                            Locale.ROOT,
                            "| %s (over HTTP) | – | – | %.3f | %.2f | %.3f | %.2f | – | – | – | – | – | – | – |%n",
                            r.get("model"),
                            num(r.get("validation_bits_per_byte")),
                            num(r.get("validation_perplexity")),
                            num(r.get("test_bits_per_byte")),
                            num(r.get("test_perplexity"))));
                }
                continue;
            }
            sb.append(String.format(
                    Locale.ROOT,
                    "| %s | %,d | %s | %.3f | %.2f | %.3f | %.2f | %s | %s | %s | %,.0f | %.2f | %s | %s |%n",
                    r.get("model"),
                    (long) num(r.get("parameters")),
                    size(num(r.get("size_bytes"))),
                    num(r.get("validation_bits_per_byte")),
                    num(r.get("validation_perplexity")),
                    num(r.get("test_bits_per_byte")),
                    num(r.get("test_perplexity")),
                    r.get("top1_agreement_with_teacher") == null
                            ? "–"
                            : String.format(Locale.ROOT, "%.3f", num(r.get("top1_agreement_with_teacher"))),
                    r.get("training_tokens") == null
                            ? "–"
                            : String.format(Locale.ROOT, "%,d", (long) num(r.get("training_tokens"))),
                    r.get("training_tokens_per_second") == null
                            ? "–"
                            : String.format(Locale.ROOT, "%,.0f", num(r.get("training_tokens_per_second"))),
                    num(r.get("generation_tokens_per_second")),
                    num(r.get("generation_ms_per_token")),
                    r.get("generation_djl_tokens_per_second") == null
                            ? "–"
                            : String.format(Locale.ROOT, "%,.0f", num(r.get("generation_djl_tokens_per_second"))),
                    r.get("generation_batch_tokens_per_second") == null
                            ? "–"
                            : String.format(Locale.ROOT, "%,.0f", num(r.get("generation_batch_tokens_per_second")))));
        }
        sb.append("\nGeneration: greedy, with the KV cache; one sequence on the plain-Java decoder (what a single"
                + " generation runs on) and through DJL, and " + LmExperiment.GENERATION_BATCH
                + " sequences together through DJL (throughput). "
                + (String.valueOf(m.get("tokenizer")).startsWith("byte/")
                        ? "Perplexity is per byte token."
                        : String.format(
                                Locale.ROOT,
                                "Perplexity and tokens/s are per token of the run's BPE (%.2f bytes per token on"
                                        + " test); bits/byte compare across tokenizers.",
                                bytesPerToken(m)))
                + "\n");
        for (Map<String, Object> r : rows(m)) {
            if ("recompute".equals(r.get("generation_engine"))) {
                sb.append("\n")
                        .append(r.get("model"))
                        .append(" is a module without a key/value cache (TorchScript): each of its tokens"
                                + " recomputes the window, one sequence and the batch alike.\n");
            }
        }
        for (Map<String, Object> r : rows(m)) {
            if (r.get("selected_step") != null) {
                sb.append("\n")
                        .append(r.get("model"))
                        .append(" ends with its parameters of step ")
                        .append(r.get("selected_step"))
                        .append(", its best on validation (training.select: best_validation).\n");
            }
        }
        for (Map<String, Object> r : rows(m)) {
            if (r.containsKey("evaluation_tokenizer")) {
                sb.append("\n")
                        .append(r.get("model"))
                        .append(" reads the same validation and test texts in its own tokenizer, ")
                        .append(r.get("evaluation_tokenizer"))
                        .append(" (bits/byte compare; its perplexity is per token of that tokenizer).\n");
            }
        }
        for (Map<String, Object> r : rows(m)) {
            if (r.containsKey("evaluation_window")) {
                sb.append("\n")
                        .append(r.get("model"))
                        .append(" is evaluated on windows of ")
                        .append(r.get("evaluation_window"))
                        .append(" (its context).\n");
            }
        }
        sb.append("\n## Samples (greedy)\n\n");
        for (Map<String, Object> r : rows(m)) {
            sb.append("**").append(r.get("model")).append("**\n\n");
            if (r.get("samples") == null) {
                sb.append("- (").append(r.get("description")).append(")\n");
            }
            for (Object s : map(r.get("samples")).values()) {
                sb.append("- `")
                        .append(String.valueOf(s).replace("\n", "\\n").replace("`", "'"))
                        .append("`\n");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String html(LmRecipe recipe, Map<String, Object> m) {
        StringBuilder sb = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
                .append(esc(recipe.name()))
                .append("</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
                        + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
                        + "pre{white-space:pre-wrap;background:#f6f6f6;padding:4px}</style></head><body>\n");
        sb.append("<h1>").append(esc(recipe.name())).append(": language-model distillation</h1>\n");
        String overlap = overlapSentence(map(m.get("corpus")));
        if (overlap != null) {
            String novel = novelSentence(m);
            sb.append("<p>")
                    .append(esc(Character.toUpperCase(overlap.charAt(0))
                            + overlap.substring(1)
                            + (novel == null ? "" : " " + novel)))
                    .append("</p>\n");
        }
        String comparison = comparisonSentence(m);
        if (comparison != null) {
            sb.append("<p>").append(esc(comparison)).append("</p>\n");
        }
        String md = markdown(recipe, m);
        String table = md.substring(md.indexOf("| model"), md.indexOf("\nGeneration:"));
        sb.append("<table>\n");
        boolean head = true;
        for (String line : table.split("\n")) {
            if (line.startsWith("| ---")) {
                continue;
            }
            String[] cells = line.substring(2, line.length() - 2).split(" \\| ");
            sb.append("<tr>");
            for (String cell : cells) {
                sb.append(head ? "<th>" : "<td>").append(esc(cell)).append(head ? "</th>" : "</td>");
            }
            sb.append("</tr>\n");
            head = false;
        }
        sb.append("</table>\n<h2>Learning curves (training loss, nats per token)</h2>\n")
                .append(curves(m));
        sb.append("<h2>Samples (greedy)</h2>\n");
        for (Map<String, Object> r : rows(m)) {
            sb.append("<h3>").append(esc(String.valueOf(r.get("model")))).append("</h3>\n");
            for (Object s : map(r.get("samples")).values()) {
                sb.append("<pre>").append(esc(String.valueOf(s))).append("</pre>\n");
            }
        }
        sb.append("<p>Metrics: <code>metrics.json</code>; models with <code>provenance.json</code> and "
                + "<code>MODEL_CARD.md</code>.</p>\n</body></html>\n");
        return sb.toString();
    }

    /**
     * Says how many held-out documents have a near duplicate in the training split ({@code
     * corpus.split_overlap}), and, for a split by document where the test split's share is above
     * {@value #OVERLAP_HINT_SHARE}, what keeps families on one side; null for metrics without it
     * (runs before it existed).
     */
    static String overlapSentence(Map<String, Object> corpus) {
        String s = SplitOverlap.describe((Map<?, ?>) corpus.get("split_overlap"), "documents");
        if (s == null) {
            return null;
        }
        if (splitLeaks(corpus)) {
            s += ": test scores partly reward remembering them; `data.split_by: near_duplicates` keeps each "
                    + "family of near duplicates on one side";
        }
        return s + ".";
    }

    /**
     * Whether a split by document lets more than {@value #OVERLAP_HINT_SHARE} of the test documents
     * have a near duplicate in training ({@code corpus.split_overlap}).
     */
    static boolean splitLeaks(Map<String, Object> corpus) {
        return splitLeaks(corpus, OVERLAP_HINT_SHARE);
    }

    /** The same above another share of test documents, in [0, 1]. */
    static boolean splitLeaks(Map<String, Object> corpus, double share) {
        return corpus.get("split_by") == null
                && corpus.get("split_overlap") instanceof Map<?, ?> overlap
                && overlap.get("test") instanceof Map<?, ?> test
                && num(test.get("share")) > share;
    }

    /**
     * Each model's bits per byte on the test documents without a near duplicate in training, and,
     * with a teacher, a scratch and a distilled student, the share of the teacher-scratch gap the
     * distilled student closes there and on the whole test split; null when the run did not single
     * those documents out (no near duplicate in the test split, or metrics from before).
     */
    static String novelSentence(Map<String, Object> m) {
        Map<?, ?> c = map(m.get("corpus"));
        if (!(c.get("split_overlap") instanceof Map<?, ?> overlap)
                || !(overlap.get("test_without_near_duplicate") instanceof Map<?, ?> novel)) {
            return null;
        }
        StringBuilder sb = new StringBuilder(String.format(
                Locale.ROOT,
                "On the %,d test documents without one (%,d bytes), bits/byte:",
                (long) num(novel.get("documents")),
                (long) num(novel.get("bytes"))));
        String sep = " ";
        Object unigram = map(m.get("unigram")).get(LmExperiment.NOVEL_BITS);
        if (unigram != null) {
            sb.append(String.format(Locale.ROOT, " unigram baseline %.3f", num(unigram)));
            sep = ", ";
        }
        Map<String, Double> novelBits = new java.util.HashMap<>();
        Map<String, Double> testBits = new java.util.HashMap<>();
        for (Map<String, Object> r : rows(m)) {
            Object b = r.get(LmExperiment.NOVEL_BITS);
            if (b != null) {
                String model = String.valueOf(r.get("model"));
                sb.append(sep).append(String.format(Locale.ROOT, "%s %.3f", model, num(b)));
                sep = ", ";
                novelBits.put(model, num(b));
                testBits.put(model, num(r.get("test_bits_per_byte")));
            }
        }
        sb.append('.');
        double onNovel = gapShare(novelBits);
        double onTest = gapShare(testBits);
        if (!Double.isNaN(onNovel) && !Double.isNaN(onTest)) {
            sb.append(String.format(
                    Locale.ROOT,
                    " The distilled student closes %.0f%% of the teacher-scratch gap there (%.0f%% on the whole test"
                            + " split).",
                    100 * onNovel,
                    100 * onTest));
        }
        return sb.toString();
    }

    /**
     * The distilled student against its scratch twin on the test documents, with the paired
     * bootstrap's intervals and the sign-flip test ({@link LmExperiment#TEST_COMPARISON}); null
     * when the run has no such comparison.
     */
    static String comparisonSentence(Map<String, Object> m) {
        if (!(m.get(LmExperiment.TEST_COMPARISON) instanceof Map<?, ?> c)
                || !(c.get("test") instanceof Map<?, ?> test)
                || test.containsKey("unavailable")) {
            return null;
        }
        StringBuilder sb = new StringBuilder("Distilled student against its scratch twin, ");
        sb.append(comparisonClause(test, "test documents"));
        if (c.get("test_without_near_duplicate") instanceof Map<?, ?> novel && !novel.containsKey("unavailable")) {
            sb.append("; ").append(comparisonClause(novel, "test documents without a near duplicate in training"));
        }
        sb.append(String.format(
                Locale.ROOT,
                ". Intervals: paired bootstrap over documents (%,d resamples), both models scored on each draw;"
                        + " they cover the choice of test documents, not training seeds.",
                (long) num(test.get("bootstrap_resamples"))));
        return sb.toString();
    }

    private static String comparisonClause(Map<?, ?> c, String what) {
        Map<?, ?> saved = (Map<?, ?>) c.get("bits_per_byte_saved");
        java.util.List<?> iv = (java.util.List<?>) saved.get("interval_95");
        Map<?, ?> sf = (Map<?, ?>) c.get("sign_flip");
        StringBuilder sb = new StringBuilder(String.format(
                Locale.ROOT,
                "on the %,d %s: %.4f bits/byte saved (95%% interval %.4f to %.4f; sign-flip test %s, better"
                        + " on %,d of them)",
                (long) num(c.get("documents")),
                what,
                num(saved.get("difference")),
                num(iv.get(0)),
                num(iv.get(1)),
                PairedLossComparison.signFlipText(num(sf.get("p_value")), (long) num(sf.get("permutations"))),
                (long) num(sf.get("documents_first_better"))));
        if (c.get("gap_share") instanceof Map<?, ?> gap) {
            java.util.List<?> g = (java.util.List<?>) gap.get("interval_95");
            sb.append(String.format(
                    Locale.ROOT,
                    ", %.0f%% of the teacher-scratch gap (%.0f%% to %.0f%%)",
                    100 * num(gap.get("difference")),
                    100 * num(g.get(0)),
                    100 * num(g.get(1))));
        }
        return sb.toString();
    }

    /**
     * (scratch - distilled) / (scratch - teacher) of the bits per byte by model name; NaN without the
     * three, or where the teacher is not ahead of the scratch student.
     */
    static double gapShare(Map<String, Double> bits) {
        Double t = bits.get("teacher");
        Double s = bits.get("student-scratch");
        Double d = bits.get("student-distilled");
        if (t == null || s == null || d == null || !(s > t)) {
            return Double.NaN;
        }
        return (s - d) / (s - t);
    }

    /** Above this share of test documents with a near duplicate in training, the report says what to do. */
    static final double OVERLAP_HINT_SHARE = 0.05;

    /** Test bytes per test token (1 for the byte tokenizer, a little less: EOS targets have no bytes). */
    static double bytesPerToken(Map<String, Object> m) {
        Map<?, ?> c = (Map<?, ?>) m.get("corpus");
        Object tokens = c == null ? null : c.get("test_tokens");
        return tokens == null ? 1.0 : num(c.get("test_bytes")) / num(tokens);
    }

    private static String curves(Map<String, Object> m) {
        String[] colours = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd"};
        double maxStep = 1;
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (Map<String, Object> r : rows(m)) {
            for (Object p : list(r.get("history"))) {
                double[] xy = point(p);
                maxStep = Math.max(maxStep, xy[0]);
                lo = Math.min(lo, xy[1]);
                hi = Math.max(hi, xy[1]);
            }
        }
        if (lo > hi) {
            return "<p>No training history (every model was loaded).</p>\n";
        }
        double span = Math.max(1e-9, hi - lo);
        StringBuilder sb = new StringBuilder("<svg width=\"640\" height=\"320\" xmlns=\"http://www.w3.org/2000/svg\">"
                + "<rect width=\"640\" height=\"320\" fill=\"white\" stroke=\"#ccc\"/>\n");
        int i = 0;
        for (Map<String, Object> r : rows(m)) {
            List<Object> h = list(r.get("history"));
            if (h.isEmpty()) {
                continue;
            }
            String colour = colours[i++ % colours.length];
            sb.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" points=\"");
            for (Object p : h) {
                double[] xy = point(p);
                sb.append(String.format(
                        Locale.ROOT, "%.1f,%.1f ", 40 + 580 * xy[0] / maxStep, 300 - 280 * (xy[1] - lo) / span));
            }
            sb.append("\"/>\n<text x=\"460\" y=\"")
                    .append(20 + 16 * i)
                    .append("\" fill=\"")
                    .append(colour)
                    .append("\">")
                    .append(esc(String.valueOf(r.get("model"))))
                    .append("</text>\n");
        }
        sb.append(String.format(
                Locale.ROOT,
                "<text x=\"4\" y=\"24\">%.2f</text><text x=\"4\" y=\"300\">%.2f</text>"
                        + "<text x=\"560\" y=\"316\">step %.0f</text></svg>%n",
                hi,
                lo,
                maxStep));
        return sb.toString();
    }

    private static double[] point(Object p) {
        if (p instanceof double[] d) {
            return d;
        }
        List<Object> l = list(p);
        return new double[] {num(l.get(0)), num(l.get(1))};
    }

    private static String size(double bytes) {
        return bytes >= 1 << 20
                ? String.format(Locale.ROOT, "%.1f MB", bytes / (1 << 20))
                : String.format(Locale.ROOT, "%.0f KB", bytes / 1024);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rows(Map<String, Object> m) {
        return (List<Map<String, Object>>) m.get("models");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o == null ? List.of() : (List<Object>) o;
    }

    private static double num(Object o) {
        return o == null ? Double.NaN : ((Number) o).doubleValue();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
