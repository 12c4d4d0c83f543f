import java.util.Locale;
import java.util.Random;

/**
 * Why {@code JvmDecoder} keeps one array per weight row (docs/lm-benchmarks.md, "Generation on the
 * JVM"): the same input-major matrix-vector product, {@code y[o] += x[i] * w[i][o]}, over one array
 * per row and over one flat array at an offset {@code i * out}, at the decoder's shapes. Prints the
 * best GFLOP/s of 5 timed repetitions per layout and shape (after the JIT has compiled both). Run it
 * in several processes and compare medians: the JIT's decisions are per process.
 *
 * <pre>
 *   for r in 1 2 3; do java tools/profile/MatVecLayout.java; done
 * </pre>
 */
public class MatVecLayout {

    static void rows(float[] x, float[][] w, float[] y) {
        java.util.Arrays.fill(y, 0f);
        for (int i = 0; i < x.length; i++) {
            float xi = x[i];
            float[] wi = w[i];
            for (int o = 0; o < y.length; o++) {
                y[o] += xi * wi[o];
            }
        }
    }

    static void flat(float[] x, float[] w, float[] y) {
        int out = y.length;
        java.util.Arrays.fill(y, 0f);
        for (int i = 0; i < x.length; i++) {
            float xi = x[i];
            int r = i * out;
            for (int o = 0; o < out; o++) {
                y[o] += xi * w[r + o];
            }
        }
    }

    public static void main(String[] args) {
        int[][] shapes = {{128, 384}, {512, 128}, {48, 192}};
        for (int[] shape : shapes) {
            int in = shape[0];
            int out = shape[1];
            float[] x = new float[in];
            float[] flat = new float[in * out];
            float[][] rows = new float[in][out];
            float[] y = new float[out];
            Random random = new Random(1);
            for (int i = 0; i < flat.length; i++) {
                flat[i] = random.nextFloat();
                rows[i / out][i % out] = flat[i];
            }
            for (int i = 0; i < in; i++) {
                x[i] = random.nextFloat();
            }
            for (String layout : new String[] {"rows", "flat"}) {
                double best = 0;
                for (int rep = 0; rep < 5; rep++) {
                    int n = 20_000;
                    long t0 = System.nanoTime();
                    for (int k = 0; k < n; k++) {
                        if (layout.equals("rows")) {
                            rows(x, rows, y);
                        } else {
                            flat(x, flat, y);
                        }
                    }
                    best = Math.max(best, 2.0 * in * out * n / ((System.nanoTime() - t0) / 1e9) / 1e9);
                }
                System.out.printf(Locale.ROOT, "%s %dx%d: %.2f GFLOP/s%n", layout, in, out, best);
            }
        }
    }
}
