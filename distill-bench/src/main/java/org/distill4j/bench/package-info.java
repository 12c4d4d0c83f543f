/**
 * Benchmarks behind {@code distill bench}: {@link org.distill4j.bench.AccuracyBenchmark} (does
 * distillation pay off, in the style of Table 1 of Hinton, Vinyals &amp; Dean 2015, with seeds,
 * a temperature sweep chosen on validation data, transfer-set variants and a student-size sweep)
 * and {@link org.distill4j.bench.SpeedBenchmark} (what it costs: epoch times, throughput, FLOP
 * rates, serving latency, memory, and a PyTorch reference). Both reuse the library's trainer,
 * teacher-output cache, predictions and serving-cost measurement; they only orchestrate and
 * report, writing raw numbers as JSON and a section of {@code docs/benchmarks.md} with charts.
 */
package org.distill4j.bench;
