package org.distill4j.guard;

import java.util.Arrays;

/**
 * A text row of hashed n-gram ids read as a bag: each id's count over the number of ids in the row
 * (padding, id 0, left out), the vector a fastText-style model averages its embeddings over. A
 * watermark direction over such rows is sparse ({@link Direction}); the projection of a row is the
 * mean of the direction's values over the row's ids, linear in the bag, so a bag model can learn a
 * function of it.
 */
final class NgramBag {

    private NgramBag() {}

    /**
     * A sparse unit direction over n-gram ids.
     *
     * @param ids the ids it names, strictly ascending
     * @param values its value per id (rounded to float, as stored), unit Euclidean norm
     */
    record Direction(int[] ids, double[] values) {}

    /** Returns the projection of one row onto (ids, values): the mean of v(id) over the row's ids, 0 for none. */
    static double project(int[] ids, double[] values, float[] row, int offset, int size) {
        int n = 0;
        double t = 0;
        for (int i = offset; i < offset + size; i++) {
            float f = row[i];
            if (f == 0) {
                continue;
            }
            n++;
            int k = Arrays.binarySearch(ids, (int) f);
            if (k >= 0) {
                t += values[k];
            }
        }
        return n == 0 ? 0 : t / n;
    }

    /**
     * Draws a direction over the {@code size} ids that occur in the most rows: a Gaussian weight
     * per id from the stream, normalised. Frequent ids (common words and word pairs) are in most
     * texts and in thousands of a student's training rows, so a student can learn their weights;
     * a direction over the ids of a few sample texts (as dense keys draw theirs) puts most of its
     * weight on words that few texts share, and fastText-style students did not learn it
     * (docs/audit.md).
     *
     * @param rows sample rows of {@code rowSize} ids
     */
    static Direction frequent(float[] rows, int rowSize, int size, WatermarkKey.Rng rng) {
        java.util.HashMap<Integer, int[]> df = new java.util.HashMap<>();
        java.util.HashSet<Integer> seen = new java.util.HashSet<>();
        for (int r = 0; r < rows.length / rowSize; r++) {
            seen.clear();
            for (int i = r * rowSize; i < (r + 1) * rowSize; i++) {
                if (rows[i] != 0 && seen.add((int) rows[i])) {
                    df.computeIfAbsent((int) rows[i], k -> new int[1])[0]++;
                }
            }
        }
        if (df.size() < 2) {
            throw new IllegalArgumentException("the texts have fewer than 2 distinct n-gram ids: no watermark "
                    + "direction can be drawn from them");
        }
        int[] ids = df.entrySet().stream()
                .sorted((a, b) -> a.getValue()[0] != b.getValue()[0]
                        ? Integer.compare(b.getValue()[0], a.getValue()[0])
                        : Integer.compare(a.getKey(), b.getKey()))
                .limit(size)
                .mapToInt(java.util.Map.Entry::getKey)
                .sorted()
                .toArray();
        double[] v = new double[ids.length];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
            norm += v[i] * v[i];
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] / norm);
        }
        return new Direction(ids, v);
    }

    /** Returns the standard deviation of the projection over the first {@code rows} rows. */
    static double spread(Direction d, float[] features, int size, int rows) {
        double sum = 0;
        double sq = 0;
        for (int r = 0; r < rows; r++) {
            double t = project(d.ids(), d.values(), features, r * size, size);
            sum += t;
            sq += t * t;
        }
        double mean = sum / rows;
        return Math.sqrt(Math.max(sq / rows - mean * mean, 1e-12));
    }
}
