package org.distill4j.charts;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.distill4j.report.ChartRenderer;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RenderedChart;
import org.distill4j.train.EpochRecord;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The {@link ChartRenderer} of the reports: PNG charts drawn with XChart, in memory (no display needed). A chart with no
 * data to show (e.g. no model has a training history, as when every model was loaded) is not
 * rendered at all rather than drawn empty; series without finite points are left out.
 *
 * <p>Each model keeps one colour across all charts, by its position in the results, so the
 * teacher is the same colour on every chart.
 */
public final class XChartRenderer implements ChartRenderer {

    // Tableau 10: distinct, colour-blind-friendly enough, and familiar from matplotlib.
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0xbcbd22), new Color(0x17becf),
    };
    private static final BasicStroke SOLID = new BasicStroke(2.5f);
    private static final BasicStroke DASHED =
            new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {9f, 6f}, 0f);

    /** Found by {@link java.util.ServiceLoader}; stateless. */
    public XChartRenderer() {}

    /** Renders every chart that has data, in page order. */
    @Override
    public List<RenderedChart> render(List<ModelResult> models) throws IOException {
        List<RenderedChart> charts = new ArrayList<>();
        XYChart loss = epochChart(models, "Loss per epoch", "Loss", EpochRecord::trainLoss, EpochRecord::valLoss, 1.0);
        if (loss != null) {
            charts.add(new RenderedChart(
                    LOSS,
                    "Training loss (solid) and validation loss (dashed) per epoch. Training loss"
                            + " is each model's own objective (the KD loss for a distilled"
                            + " student), so compare models by validation loss.",
                    png(loss)));
        }
        XYChart accuracy = epochChart(
                models,
                "Accuracy per epoch",
                "Accuracy (%)",
                EpochRecord::trainAccuracy,
                EpochRecord::valAccuracy,
                100.0);
        if (accuracy != null) {
            charts.add(new RenderedChart(
                    ACCURACY, "Training accuracy (solid) and validation accuracy (dashed) per epoch.", png(accuracy)));
        }
        XYChart sizeVsAccuracy = sizeVsAccuracy(models);
        if (sizeVsAccuracy != null) {
            charts.add(new RenderedChart(
                    SIZE_VS_ACCURACY,
                    "Test accuracy against number of parameters, one point per model.",
                    png(sizeVsAccuracy)));
        }
        return List.copyOf(charts);
    }

    /**
     * A per-epoch chart with a solid train series and a dashed validation series per model, or
     * null when no model has a finite point.
     */
    private static XYChart epochChart(
            List<ModelResult> models,
            String title,
            String yTitle,
            ToDoubleFunction<EpochRecord> train,
            ToDoubleFunction<EpochRecord> val,
            double scale) {
        XYChart chart = newChart(title, "Epoch", yTitle);
        int maxEpoch = 1;
        for (int i = 0; i < models.size(); i++) {
            ModelResult model = models.get(i);
            Color color = PALETTE[i % PALETTE.length];
            List<EpochRecord> history = model.history();
            addEpochSeries(chart, model.role() + " (train)", history, train, scale, color, SOLID);
            addEpochSeries(chart, model.role() + " (val)", history, val, scale, color, DASHED);
            for (EpochRecord r : model.history()) {
                maxEpoch = Math.max(maxEpoch, r.epoch());
            }
        }
        if (chart.getSeriesMap().isEmpty()) {
            return null;
        }
        XYStyler styler = chart.getStyler();
        // Epochs are whole numbers; a fixed, padded range keeps XChart from labelling 1.5.
        styler.setXAxisMin(0.5);
        styler.setXAxisMax(maxEpoch + 0.5);
        styler.setXAxisDecimalPattern("0");
        styler.setXAxisMaxLabelCount(Math.min(maxEpoch, 20));
        return chart;
    }

    private static void addEpochSeries(
            XYChart chart,
            String name,
            List<EpochRecord> history,
            ToDoubleFunction<EpochRecord> value,
            double scale,
            Color color,
            BasicStroke stroke) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (EpochRecord r : history) {
            double y = value.applyAsDouble(r);
            // Unmeasured values are NaN; XChart would break the line or fail on them.
            if (Double.isFinite(y)) {
                xs.add((double) r.epoch());
                ys.add(y * scale);
            }
        }
        if (xs.isEmpty()) {
            return;
        }
        XYSeries series = chart.addSeries(name, xs, ys);
        series.setLineColor(color);
        series.setMarkerColor(color);
        series.setLineStyle(stroke);
        series.setMarker(stroke == SOLID ? SeriesMarkers.CIRCLE : SeriesMarkers.DIAMOND);
    }

    /** One point per model at (params, test accuracy), or null when no model has both. */
    private static XYChart sizeVsAccuracy(List<ModelResult> models) {
        XYChart chart = newChart("Test accuracy vs model size", "Parameters", "Test accuracy (%)");
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(14);
        double minParams = Double.POSITIVE_INFINITY;
        double maxParams = 0;
        double minAccuracy = Double.POSITIVE_INFINITY;
        double maxAccuracy = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < models.size(); i++) {
            ModelResult model = models.get(i);
            double params = model.metrics().params();
            double accuracy = model.metrics().testAccuracy() * 100.0;
            if (!(params > 0) || !Double.isFinite(accuracy)) {
                continue;
            }
            XYSeries series = chart.addSeries(model.role(), new double[] {params}, new double[] {accuracy});
            Color color = PALETTE[i % PALETTE.length];
            series.setMarkerColor(color);
            series.setMarker(SeriesMarkers.CIRCLE);
            minParams = Math.min(minParams, params);
            maxParams = Math.max(maxParams, params);
            minAccuracy = Math.min(minAccuracy, accuracy);
            maxAccuracy = Math.max(maxAccuracy, accuracy);
        }
        if (chart.getSeriesMap().isEmpty()) {
            return null;
        }
        XYStyler styler = chart.getStyler();
        styler.setXAxisDecimalPattern("#,##0");
        // Pad both axes so no point sits on the plot border, where XChart clips half a marker.
        if (maxParams / minParams >= 10) {
            // Teachers are often 10-100x their students; a log axis keeps both legible.
            styler.setXAxisLogarithmic(true);
            styler.setXAxisMin(minParams / 2);
            styler.setXAxisMax(maxParams * 2);
            chart.setXAxisTitle("Parameters (log scale)");
        } else {
            double pad = Math.max(maxParams - minParams, maxParams * 0.2) * 0.25;
            styler.setXAxisMin(Math.max(0, minParams - pad));
            styler.setXAxisMax(maxParams + pad);
        }
        double yPad = Math.max(maxAccuracy - minAccuracy, 0.5) * 0.15;
        styler.setYAxisMin(minAccuracy - yPad);
        styler.setYAxisMax(maxAccuracy + yPad);
        styler.setYAxisDecimalPattern("0.0#");
        return chart;
    }

    private static XYChart newChart(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title(title)
                .xAxisTitle(xTitle)
                .yAxisTitle(yTitle)
                .build();
        XYStyler styler = chart.getStyler();
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setPlotBorderColor(new Color(0x888888));
        styler.setPlotGridLinesColor(new Color(0xe0e0e0));
        styler.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
        styler.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
        styler.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        styler.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        styler.setLegendPosition(LegendPosition.OutsideE);
        styler.setLegendBorderColor(new Color(0xcccccc));
        styler.setLegendSeriesLineLength(36);
        styler.setChartTitleBoxVisible(false);
        styler.setMarkerSize(7);
        styler.setAntiAlias(true);
        // A fixed number of decimals keeps tick labels aligned (XChart prints 1 next to 0.9).
        styler.setYAxisDecimalPattern("0.0#");
        return chart;
    }

    private static byte[] png(XYChart chart) throws IOException {
        return BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
    }
}
