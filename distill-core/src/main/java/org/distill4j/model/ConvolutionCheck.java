package org.distill4j.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.nio.DoubleBuffer;
import java.util.List;
import java.util.Random;

/**
 * Checks this process's convolutions against a float64 reference: whether the engine, under the
 * oneDNN cap in force ({@link OneDnnIsa}), computes a CNN's logits and gradient right. oneDNN has
 * no double-precision convolution, so in float64 PyTorch runs its own kernels; a float32 result
 * within {@link #TOLERANCE} of that reference is right, one far from it is the fault of
 * docs/engine.md (wrong results for padded channel counts on AVX2/AVX-512 CPUs).
 *
 * <p>One check: a CNN of the given channels (3 x 3 kernels, 2 x 2 pooling, dense [16], 3
 * classes) on 32 seeded random single-channel images (8 x 8 unless asked otherwise), from identical parameters in float32 and in
 * float64: the logits of an inference pass, and the first convolution's weight gradient of one
 * training pass of softmax cross-entropy (made from the gradient of the second convolution's
 * input, the backward-data computation). Under a second on one core.
 */
public final class ConvolutionCheck {

    /** Relative error (L2) below which a float32 result counts as right; rounding gives ~1e-7. */
    public static final double TOLERANCE = 1e-4;

    /** The shapes {@code distill bench stress} checks: three padded ones, then the recipes' kind. */
    public static final List<List<Integer>> SHAPES =
            List.of(List.of(4, 8), List.of(12, 24), List.of(20, 16), List.of(32, 64));

    private ConvolutionCheck() {}

    /**
     * The outcome for one shape; each error is ||a32 - a64|| / ||a64||, NaN where the float32
     * result held NaN.
     *
     * @param channels the CNN's channels
     * @param logitsError of the inference pass's logits
     * @param gradientError of the first convolution's weight gradient
     */
    public record Result(List<Integer> channels, double logitsError, double gradientError) {
        /** Whether both are within {@link #TOLERANCE} of the reference. */
        public boolean right() {
            return logitsError < TOLERANCE && gradientError < TOLERANCE;
        }
    }

    /**
     * Runs the check for {@code channels} (at least one entry; the fault needs two, a lone
     * convolution is the control) on 8 x 8 images. Draws the parameters after re-seeding the engine's random
     * generator (seed 7), so call it between trainings, not inside one.
     */
    public static Result check(List<Integer> channels) {
        return check(channels, 8);
    }

    /**
     * Runs the check on {@code size} x {@code size} images (e.g. 28, Fashion-MNIST's); see {@link
     * #check(List)}.
     */
    public static Result check(List<Integer> channels, int size) {
        if (channels.isEmpty()) {
            throw new IllegalArgumentException("channels " + channels + ": need at least one convolution");
        }
        if (size >> channels.size() < 1) {
            throw new IllegalArgumentException("size " + size + ": " + channels.size()
                    + " pooling blocks need images of at least " + (1 << channels.size()) + " pixels a side");
        }
        Shape batchShape = new Shape(32, 1, size, size);
        float[] x = new float[32 * size * size];
        Random rng = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        float[] oneHot = new float[32 * 3];
        for (int i = 0; i < 32; i++) {
            oneHot[i * 3 + i % 3] = 1;
        }
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Engine.getEngine("PyTorch").setRandomSeed(7);
            Block narrow = build(channels, size);
            narrow.initialize(manager, DataType.FLOAT32, batchShape);
            Block wide = build(channels, size);
            wide.initialize(manager, DataType.FLOAT64, batchShape);
            List<Parameter> from = narrow.getParameters().values();
            List<Parameter> to = wide.getParameters().values();
            for (int i = 0; i < from.size(); i++) {
                float[] v = from.get(i).getArray().toFloatArray();
                double[] d = new double[v.length];
                for (int j = 0; j < v.length; j++) {
                    d[j] = v[j];
                }
                to.get(i).getArray().set(DoubleBuffer.wrap(d));
            }
            double logits = relativeError(
                    logits(narrow, manager, x, batchShape, DataType.FLOAT32),
                    logits(wide, manager, x, batchShape, DataType.FLOAT64));
            double gradient = relativeError(
                    firstGradient(narrow, manager, x, batchShape, oneHot, DataType.FLOAT32),
                    firstGradient(wide, manager, x, batchShape, oneHot, DataType.FLOAT64));
            return new Result(List.copyOf(channels), logits, gradient);
        }
    }

    private static double relativeError(double[] a, double[] reference) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < reference.length; i++) {
            diff += (a[i] - reference[i]) * (a[i] - reference[i]);
            norm += reference[i] * reference[i];
        }
        return Math.sqrt(diff / norm);
    }

    private static double[] logits(Block block, NDManager manager, float[] x, Shape shape, DataType type) {
        try (NDManager batch = manager.newSubManager()) {
            NDArray in = batch.create(x, shape).toType(type, false);
            return widen(block.forward(new ParameterStore(batch, false), new NDList(in), false)
                    .singletonOrThrow());
        }
    }

    private static double[] widen(NDArray a) {
        float[] f = a.toType(DataType.FLOAT32, false).toFloatArray();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }

    private static Block build(List<Integer> channels, int size) {
        return new CnnSpec(channels, 3, 2, List.of(16), null, 0, false).build(new long[] {1, size, size}, 3);
    }

    private static double[] firstGradient(
            Block block, NDManager manager, float[] x, Shape shape, float[] oneHot, DataType type) {
        try (NDManager batch = manager.newSubManager();
                GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray in = batch.create(x, shape).toType(type, false);
            NDArray target = batch.create(oneHot, new Shape(32, 3)).toType(type, false);
            NDArray logits = block.forward(new ParameterStore(batch, false), new NDList(in), true)
                    .singletonOrThrow();
            // No Number operation on the gradient path (docs/engine.md, the first cause).
            NDArray loss =
                    logits.logSoftmax(1).mul(target).sum(new int[] {1}).mean().neg();
            collector.backward(loss);
            return widen(block.getParameters().get(0).getValue().getArray().getGradient());
        }
    }
}
