package org.distill4j.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What a model of a {@link ModelSpec} will cost before any of it is allocated: its parameter count
 * and, for training at a batch size, the bytes of parameters, gradients, optimiser state and
 * activations. Used to refuse, with the numbers, a model that cannot fit the machine (a dense layer
 * of 65536 x 65536 is 4.3 billion parameters) instead of growing until the system kills the JVM.
 *
 * <p>The estimate is an upper-bound-minded approximation (float32 everywhere; Adam's two moments;
 * each layer's output kept for the backward pass, with its gradient); the parameter count is
 * exact for the three architectures.
 *
 * @param parameters number of float32 parameters
 * @param activationsPerRow floats of activations one input row keeps alive during a training step
 * @param batchSize rows per training batch the estimate is for
 */
public record MemoryEstimate(long parameters, long activationsPerRow, int batchSize) {

    /** Bytes per parameter in training: the value, its gradient and Adam's two moments, float32. */
    static final int TRAINING_BYTES_PER_PARAMETER = 16;

    /** The rows per batch of evaluation (forward only), see {@code Predictions}. */
    static final int EVALUATION_BATCH = 512;

    /** The system property holding the limit in bytes; the CLI's {@code --max-model-memory} sets it. */
    public static final String LIMIT_PROPERTY = "distill4j.maxModelBytes";

    /**
     * Estimates a model of {@code spec} on rows of {@code featureShape}.
     *
     * @param batchSize rows per training batch (1 for inference only)
     */
    public static MemoryEstimate of(ModelSpec spec, long[] featureShape, int numClasses, int batchSize) {
        long in = 1;
        for (long d : featureShape) {
            in = Math.multiplyExact(in, Math.max(d, 1));
        }
        long[] acc = new long[2]; // parameters, activations per row
        if (spec instanceof MlpSpec m) {
            acc[1] = in;
            dense(acc, in, m.hidden(), numClasses);
        } else if (spec instanceof CnnSpec c) {
            long ch = featureShape.length == 3 ? featureShape[0] : 1;
            long h = featureShape.length == 3 ? featureShape[1] : 1;
            long w = featureShape.length == 3 ? featureShape[2] : 1;
            acc[1] = in;
            for (int i = 0; i < c.channels().size(); i++) {
                int out = c.channels().get(i);
                long k2 = (long) c.kernel() * c.kernel();
                long conv = c.separable() && i > 0
                        // depthwise k x k (one filter per input channel, with bias), then pointwise 1 x 1
                        ? Math.addExact(ch * k2 + ch, Math.multiplyExact(ch, (long) out) + out)
                        : Math.multiplyExact(ch * k2, (long) out) + out;
                acc[0] = Math.addExact(acc[0], conv + (c.batchNorm() ? 4L * out : 0));
                if (c.separable() && i > 0) {
                    acc[1] = Math.addExact(acc[1], Math.multiplyExact(h * w, ch));
                }
                long map = Math.multiplyExact(h * w, (long) out);
                acc[1] = Math.addExact(acc[1], map * (c.batchNorm() ? 3 : 2));
                if (c.pool() > 1) {
                    h = Math.max(1, h / c.pool());
                    w = Math.max(1, w / c.pool());
                    acc[1] = Math.addExact(acc[1], h * w * out);
                }
                ch = out;
            }
            dense(acc, ch * h * w, c.dense(), numClasses);
        } else if (spec instanceof BagSpec b) {
            acc[0] = (long) b.buckets() * b.dim();
            acc[1] = in + 2L * b.dim();
            dense(acc, b.dim(), b.hidden(), numClasses);
        }
        return new MemoryEstimate(acc[0], acc[1], batchSize);
    }

    private static void dense(long[] acc, long in, List<Integer> widths, int numClasses) {
        long prev = in;
        for (int w : widths) {
            acc[0] = Math.addExact(acc[0], Math.multiplyExact(prev, (long) w) + w);
            acc[1] = Math.addExact(acc[1], 3L * w); // output, activation, dropout mask
            prev = w;
        }
        acc[0] = Math.addExact(acc[0], Math.multiplyExact(prev, (long) numClasses) + numClasses);
        acc[1] = Math.addExact(acc[1], 2L * numClasses);
    }

    /** Bytes of the parameters alone (float32), as loaded for inference. */
    public long parameterBytes() {
        return 4 * parameters;
    }

    /**
     * Bytes a training run needs at its peak: parameters with gradients and optimiser state, plus
     * the activations of a training batch (kept with their gradients) or of an evaluation batch.
     */
    public long trainingBytes() {
        long training = 8L * activationsPerRow * batchSize;
        long evaluation = 4L * activationsPerRow * EVALUATION_BATCH;
        return TRAINING_BYTES_PER_PARAMETER * parameters + Math.max(training, evaluation);
    }

    /**
     * Refuses a model whose {@code bytes} exceed {@code limit}, saying both and how to raise it.
     *
     * @param what what the bytes are for, e.g. "training MLP(hidden=[65536, 65536], ...)"
     * @throws IllegalArgumentException with the estimate and the limit
     */
    public void require(long bytes, long limit, String what) {
        if (bytes > limit) {
            throw new IllegalArgumentException(String.format(
                    Locale.ROOT,
                    "%s needs about %s (%,d parameters%s), "
                            + "more than the %s this machine can give it; make the model smaller, or raise the limit with "
                            + "--max-model-memory (system property %s) if the machine really has the memory",
                    what,
                    size(bytes),
                    parameters,
                    batchSize > 1 ? ", batch " + batchSize : "",
                    size(limit),
                    LIMIT_PROPERTY));
        }
    }

    /**
     * Returns the limit in bytes: the system property {@value #LIMIT_PROPERTY} when set (a number
     * of bytes, or with a suffix k, m, g, t), else the memory available now ({@code MemAvailable}
     * of {@code /proc/meminfo}, else the JVM's view of free physical memory).
     */
    public static long limit() {
        String set = System.getProperty(LIMIT_PROPERTY);
        if (set != null && !set.isBlank()) {
            return parseSize(set, LIMIT_PROPERTY);
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String kb = line.substring("MemAvailable:".length())
                            .replace("kB", "")
                            .strip();
                    return Long.parseLong(kb) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or unreadable: fall back to the JVM's view.
        }
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getFreeMemorySize() + Runtime.getRuntime().freeMemory();
        }
        return Long.MAX_VALUE;
    }

    /**
     * Parses a size such as {@code 8g}, {@code 512m}, {@code 1048576}.
     *
     * @throws IllegalArgumentException naming {@code what} and the value
     */
    public static long parseSize(String text, String what) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (!t.isEmpty() && "kmgt".indexOf(t.charAt(t.length() - 1)) >= 0) {
            unit = 1L << (10 * ("kmgt".indexOf(t.charAt(t.length() - 1)) + 1));
            t = t.substring(0, t.length() - 1);
        }
        try {
            long n = Long.parseLong(t.strip());
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("illegal " + what + " value: '" + org.distill4j.io.Snippets.clip(text)
                    + "', expected a positive size such as 8g, 512m or 1048576");
        }
    }

    /** A byte count in words, e.g. {@code 17.2 GB}. */
    static String size(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
