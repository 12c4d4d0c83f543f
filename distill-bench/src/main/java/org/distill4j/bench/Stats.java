package org.distill4j.bench;

import java.util.List;

/**
 * Mean and sample standard deviation (n - 1 in the denominator; 0 for one value) of a few
 * measurements, such as the test errors of three seeds.
 *
 * @param mean arithmetic mean
 * @param std sample standard deviation
 * @param n number of values
 */
public record Stats(double mean, double std, int n) {

    /** Summarises {@code values} (at least one). */
    public static Stats of(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values");
        }
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        double mean = sum / values.size();
        double sq = 0;
        for (double v : values) {
            sq += (v - mean) * (v - mean);
        }
        double std = values.size() < 2 ? 0 : Math.sqrt(sq / (values.size() - 1));
        return new Stats(mean, std, values.size());
    }
}
