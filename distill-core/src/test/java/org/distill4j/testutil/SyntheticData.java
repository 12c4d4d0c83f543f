package org.distill4j.testutil;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.distill4j.data.InMemoryExampleSet;

/**
 * Small, seeded, learnable data for fast tests: Gaussian blobs in {@code dims} dimensions around
 * one random centre per class, with enough noise that classes overlap a little.
 */
public final class SyntheticData {

    private SyntheticData() {}

    /** Returns {@code rows} rows of blobs for {@code classes} classes in {@code dims} dimensions. */
    public static InMemoryExampleSet blobs(String name, int rows, int classes, int dims, double noise, long seed) {
        Random centresRng = new Random(1234);
        float[][] centres = new float[classes][dims];
        for (float[] c : centres) {
            for (int d = 0; d < dims; d++) {
                c[d] = (float) centresRng.nextGaussian();
            }
        }
        Random rng = new Random(seed);
        float[] x = new float[rows * dims];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = rng.nextInt(classes);
            for (int d = 0; d < dims; d++) {
                x[i * dims + d] = centres[y[i]][d] + (float) (noise * rng.nextGaussian());
            }
        }
        List<String> names = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            names.add("c" + c);
        }
        return new InMemoryExampleSet(name, new long[] {dims}, x, y, names);
    }
}
