package org.distill4j.charts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.io.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the audit evaluation's p-values (docs/audit.md): one PNG per data set and reference set,
 * {@code -log10 p} of every suspect at each query budget, coloured by kind, with the line at p =
 * 0.01. Reads the results JSON named by {@code -Daudit.eval.plot=FILE} and writes
 * {@code audit-eval-<data>-<references>.png} beside it. Runs only with that property ({@code
 * tools/audit-eval.sh plot}).
 */
@EnabledIfSystemProperty(named = "audit.eval.plot", matches = ".+")
class AuditEvaluationPlot {

    static final double CAP = 12;
    static final Map<String, Color> COLOURS = new LinkedHashMap<>();

    static {
        COLOURS.put("distilled-cached", new Color(0xd62728));
        COLOURS.put("distilled-online", new Color(0xff7f0e));
        COLOURS.put("scratch", new Color(0x1f77b4));
        COLOURS.put("teacher-arch", new Color(0x2ca02c));
        COLOURS.put("other-teacher", new Color(0x9467bd));
    }

    @Test
    void plot() throws Exception {
        Path file = Path.of(System.getProperty("audit.eval.plot"));
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        for (Iterator<Map.Entry<String, JsonNode>> d = root.get("datasets").fields(); d.hasNext(); ) {
            Map.Entry<String, JsonNode> data = d.next();
            for (Iterator<Map.Entry<String, JsonNode>> r =
                            data.getValue().get("references").fields();
                    r.hasNext(); ) {
                Map.Entry<String, JsonNode> refs = r.next();
                XYChart chart = chart(data.getKey(), refs.getKey(), refs.getValue());
                Path png = file.resolveSibling("audit-eval-" + data.getKey() + "-" + refs.getKey() + ".png");
                AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG));
                System.out.println("wrote " + png);
            }
        }
    }

    static XYChart chart(String data, String refs, JsonNode result) {
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(520)
                .title(data + ", references: " + refs + " ("
                        + (result.get("models").isArray()
                                ? String.valueOf(result.get("models").size())
                                : "per suspect architecture")
                        + ")")
                .xAxisTitle("queries to the suspect (log10)")
                .yAxisTitle("-log10 p (capped at " + (int) CAP + ")")
                .build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(7);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        List<String> groups = new ArrayList<>(COLOURS.keySet());
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        for (Iterator<Map.Entry<String, JsonNode>> b = result.get("budgets").fields(); b.hasNext(); ) {
            Map.Entry<String, JsonNode> budget = b.next();
            double x0 = Math.log10(Double.parseDouble(budget.getKey()));
            minX = Math.min(minX, x0);
            maxX = Math.max(maxX, x0);
            int k = 0;
            for (JsonNode s : budget.getValue().get("suspects")) {
                String g = s.get("group").asText();
                double p = s.get("p").asDouble();
                double y = p <= 0 ? CAP : Math.min(CAP, -Math.log10(p));
                // Groups side by side around the budget, a little jitter within a group.
                double x = x0 + 0.08 * (groups.indexOf(g) - 2) + 0.012 * ((k++ % 5) - 2);
                points.computeIfAbsent(g, key -> new ArrayList<>()).add(new double[] {x, y});
            }
        }
        for (Map.Entry<String, List<double[]>> e : points.entrySet()) {
            double[] xs = e.getValue().stream().mapToDouble(v -> v[0]).toArray();
            double[] ys = e.getValue().stream().mapToDouble(v -> v[1]).toArray();
            XYSeries s = chart.addSeries(
                    e.getKey() + " (" + xs.length / result.get("budgets").size() + ")", xs, ys);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(COLOURS.getOrDefault(e.getKey(), Color.GRAY));
        }
        XYSeries line = chart.addSeries("p = 0.01", new double[] {minX - 0.3, maxX + 0.3}, new double[] {2, 2});
        line.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
        line.setMarker(SeriesMarkers.NONE);
        line.setLineColor(Color.BLACK);
        return chart;
    }
}
