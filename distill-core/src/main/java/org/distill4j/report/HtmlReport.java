package org.distill4j.report;

import java.util.List;
import java.util.Map;

/**
 * Renders {@code report.html}: one self-contained page (inline CSS, no scripts, no external
 * resources) with the title, the results table, the distillation-gap line, the charts (by relative
 * file name, so the page works wherever the directory is copied), the recipe and the environment.
 * Every piece of text from the results is HTML-escaped.
 */
final class HtmlReport {

    private static final String CSS = """
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
                   margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
            h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
            h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
            table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
            th, td { border: 1px solid #ccc; padding: 0.35rem 0.6rem; vertical-align: top; }
            th { background: #f3f3f3; text-align: left; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            tbody tr:nth-child(even) { background: #fafafa; }
            p.gap { font-weight: 600; background: #eef6ee; padding: 0.6rem 0.8rem;
                    border-left: 4px solid #2ca02c; }
            figure { margin: 1.5rem 0; }
            figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
            figcaption { color: #555; font-size: 0.9rem; }
            pre { background: #f6f8fa; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }
            """;

    private HtmlReport() {}

    /**
     * The whole page; {@code charts} are the chart files that exist next to it, and {@code
     * chartsAvailable} says whether a {@link ChartRenderer} was there to draw them.
     */
    static String render(ExperimentResults results, List<RenderedChart> charts, boolean chartsAvailable) {
        StringBuilder html = new StringBuilder();
        String title = escape(results.title());
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width,")
                .append(" initial-scale=1\">\n")
                .append("<title>")
                .append(title)
                .append(" - distill4j report</title>\n")
                .append("<style>\n")
                .append(CSS)
                .append("</style>\n</head>\n<body>\n")
                .append("<h1>")
                .append(title)
                .append("</h1>\n");

        html.append("<h2>Results</h2>\n");
        appendTable(html, ResultsTable.of(results.models()));
        ErrorGap.of(results.models())
                .ifPresent(gap -> html.append("<p class=\"gap\">")
                        .append(escape(gap.describe()))
                        .append("</p>\n"));
        for (String sentence : new String[] {
            MarkdownReport.comparisonSentence(results),
            MarkdownReport.identicalSentence(results),
            MarkdownReport.overlapSentence(results),
            MarkdownReport.calibrationSentence(results)
        }) {
            if (sentence != null) {
                html.append("<p>").append(escape(sentence)).append("</p>\n");
            }
        }

        if (!charts.isEmpty()) {
            html.append("<h2>Charts</h2>\n");
            for (RenderedChart chart : charts) {
                String caption = escape(chart.caption());
                html.append("<figure><img src=\"")
                        .append(escape(chart.fileName()))
                        .append("\" alt=\"")
                        .append(caption)
                        .append("\" width=\"")
                        .append(ChartRenderer.WIDTH)
                        .append("\" height=\"")
                        .append(ChartRenderer.HEIGHT)
                        .append("\">")
                        .append("<figcaption>")
                        .append(caption)
                        .append("</figcaption></figure>\n");
            }
        } else if (!chartsAvailable) {
            html.append("<h2>Charts</h2>\n<p>No chart renderer on the class path: add the "
                    + "<code>distill-charts</code> module to draw them.</p>\n");
        }

        html.append("<h2>Recipe</h2>\n<pre>")
                .append(escape(MetricsJson.prettyTree(results.recipe())))
                .append("</pre>\n");

        html.append("<h2>Environment</h2>\n");
        if (results.environment().isEmpty()) {
            html.append("<p>Not recorded.</p>\n");
        } else {
            html.append("<table>\n<tbody>\n");
            // Sorted because ExperimentResults holds an unordered copy; same order as metrics.json.
            results.environment().entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> html.append("<tr><th>")
                            .append(escape(e.getKey()))
                            .append("</th><td>")
                            .append(escape(e.getValue()))
                            .append("</td></tr>\n"));
            html.append("</tbody>\n</table>\n");
        }
        html.append("</body>\n</html>\n");
        return html.toString();
    }

    private static void appendTable(StringBuilder html, ResultsTable table) {
        html.append("<table>\n<thead>\n<tr>");
        for (String header : table.headers()) {
            html.append("<th>").append(escape(header)).append("</th>");
        }
        html.append("</tr>\n</thead>\n<tbody>\n");
        for (List<String> row : table.rows()) {
            html.append("<tr>");
            for (int i = 0; i < row.size(); i++) {
                html.append(table.numeric().get(i) ? "<td class=\"num\">" : "<td>")
                        .append(escape(row.get(i)))
                        .append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</tbody>\n</table>\n");
    }

    /** Escapes text for element content and double- or single-quoted attribute values. */
    static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
