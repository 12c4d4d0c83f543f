/**
 * Guarding served models: a keyed watermark in soft outputs that a student distilled from them
 * inherits ({@link org.distill4j.guard.Watermark}, detected by {@link
 * org.distill4j.guard.WatermarkDetector}), and per-client accounting with a detector of bulk
 * extraction ({@link org.distill4j.guard.ExtractionMonitor}).
 */
package org.distill4j.guard;
