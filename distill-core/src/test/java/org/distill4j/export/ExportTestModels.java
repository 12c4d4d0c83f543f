package org.distill4j.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.distill4j.data.TextFeatures;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.SavedModel;

/** Builds and saves tiny models with every parameter random (none left at its initial value). */
public final class ExportTestModels {

    private ExportTestModels() {}

    /**
     * Saves a model of {@code spec} into {@code dir} with random parameters; batch-norm running
     * variances are drawn positive.
     */
    public static Path save(Path dir, ModelSpec spec, long[] featureShape, int classes, TextFeatures text, long seed)
            throws Exception {
        List<String> names = java.util.stream.IntStream.range(0, classes)
                .mapToObj(i -> "c" + i)
                .toList();
        Random r = new Random(seed);
        try (SavedModel m = SavedModel.create(spec, featureShape, names, text)) {
            m.model().getBlock().initialize(m.model().getNDManager(), DataType.FLOAT32, m.inputShape(1));
            for (Pair<String, Parameter> p : m.model().getBlock().getParameters()) {
                NDArray a = p.getValue().getArray();
                float[] v = new float[(int) a.size()];
                boolean positive = p.getKey().endsWith("runningVar");
                for (int i = 0; i < v.length; i++) {
                    v[i] = positive ? 0.5f + r.nextFloat() : r.nextFloat() * 2 - 1;
                }
                a.set(FloatBuffer.wrap(v));
            }
            m.save(dir);
        }
        return dir;
    }

    /** Returns random inputs of shape (rows, featureShape...) as a flat array. */
    public static float[] inputs(int rows, long[] featureShape, long seed) {
        long n = rows;
        for (long d : featureShape) {
            n *= d;
        }
        Random r = new Random(seed);
        float[] x = new float[(int) n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /** Returns the logits distill4j computes for {@code x}, as a flat array. */
    public static float[] logits(Path dir, float[] x, ai.djl.ndarray.types.Shape shape) throws Exception {
        try (SavedModel m = SavedModel.load(dir);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            return m.logits(manager.create(x, shape)).toFloatArray();
        }
    }
}
