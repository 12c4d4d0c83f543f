package org.distill4j.report;

/**
 * One chart ready to be written: its file name next to {@code report.html}, a caption for the
 * page, and the PNG bytes. Short-lived, so the bytes are handed over, not copied.
 *
 * @param fileName one of {@link ChartRenderer#FILE_NAMES}, e.g. {@code loss.png}
 * @param caption what the chart shows, used as the image's alt text and caption
 * @param png the encoded image, {@link ChartRenderer#WIDTH} x {@link ChartRenderer#HEIGHT} pixels
 */
public record RenderedChart(String fileName, String caption, byte[] png) {}
