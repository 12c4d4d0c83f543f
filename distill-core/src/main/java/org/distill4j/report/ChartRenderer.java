package org.distill4j.report;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Draws the report's PNG charts. The core has no chart library on its dependency path: a renderer
 * is found with {@link ServiceLoader} (the {@code distill-charts} module provides one, with XChart),
 * and without one the report is written without charts, saying so on the page.
 *
 * <p>Contract: {@link #render} returns only charts that have data, in page order, each named by one
 * of {@link #FILE_NAMES} (so a stale chart from an earlier report can be removed) and sized {@link
 * #WIDTH} x {@link #HEIGHT} pixels. Implementations are stateless and thread-safe.
 */
public interface ChartRenderer {

    /** Width of every chart, in pixels. */
    int WIDTH = 960;
    /** Height of every chart, in pixels. */
    int HEIGHT = 560;

    /** Loss per epoch. */
    String LOSS = "loss.png";
    /** Accuracy per epoch. */
    String ACCURACY = "accuracy.png";
    /** Model size against test accuracy. */
    String SIZE_VS_ACCURACY = "size_vs_accuracy.png";
    /** Every chart file a renderer may produce, in page order. */
    List<String> FILE_NAMES = List.of(LOSS, ACCURACY, SIZE_VS_ACCURACY);

    /**
     * Renders every chart that has data.
     *
     * @param models the report's models, in table order (a model keeps its colour by position)
     * @return the charts, in page order; empty when nothing has data
     * @throws IOException if encoding an image fails
     */
    List<RenderedChart> render(List<ModelResult> models) throws IOException;

    /** The first renderer on the class path, if any. */
    static Optional<ChartRenderer> find() {
        return ServiceLoader.load(ChartRenderer.class, ChartRenderer.class.getClassLoader())
                .findFirst();
    }
}
