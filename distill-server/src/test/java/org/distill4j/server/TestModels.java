package org.distill4j.server;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.distill4j.data.TextFeatures;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;

/** Small real models saved to disk, and the logits a direct (unserved) call computes. */
final class TestModels {

    static final List<String> DENSE_CLASSES = List.of("cat", "dog", "bird");
    static final List<String> TEXT_CLASSES = List.of("positive", "negative", "neutral", "spam", "question");
    static final TextFeatures TEXT = TextFeatures.of(32, 2, null, null, null);

    private TestModels() {}

    /** An MLP over rows of {@code featureShape}, randomly initialised (seeded), saved to {@code dir}. */
    static Path dense(Path dir, long[] featureShape, List<String> classes, int seed) throws IOException {
        return save(SavedModel.create(new MlpSpec(List.of(8), null, 0), featureShape, classes), dir, seed, 1f);
    }

    /**
     * A text classifier: an MLP over the n-gram id row. Ids are up to 2^24, so the weights are
     * scaled down to keep logits near unit size (mechanically a model of text, not a good one).
     */
    static Path text(Path dir, int seed) throws IOException {
        SavedModel m = SavedModel.create(
                new MlpSpec(List.of(16), null, 0), new long[] {TEXT.maxFeatures()}, TEXT_CLASSES, TEXT);
        return save(m, dir, seed, 1e-6f);
    }

    private static Path save(SavedModel model, Path dir, int seed, float scale) throws IOException {
        try (model) {
            Engine.getEngine("PyTorch").setRandomSeed(seed);
            model.model().getBlock().initialize(model.model().getNDManager(), DataType.FLOAT32, model.inputShape(1));
            Random rng = new Random(seed);
            for (Pair<String, Parameter> p : model.model().getBlock().getParameters()) {
                // Biases too, so that no class is favoured by a zero initialisation.
                var array = p.getValue().getArray();
                float[] v = array.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) rng.nextGaussian() * 0.5f;
                }
                array.set(v);
            }
            if (scale != 1f) {
                // The first dense layer's weight is the one that meets the raw ids.
                var first = model.model()
                        .getBlock()
                        .getParameters()
                        .get(0)
                        .getValue()
                        .getArray();
                float[] w = first.toFloatArray();
                for (int i = 0; i < w.length; i++) {
                    w[i] *= scale;
                }
                first.set(w);
            }
            model.save(dir);
        }
        return dir;
    }

    /** Logits of {@code rows} rows computed by loading {@code dir} and calling the model directly. */
    static float[] directLogits(Path dir, float[] x, int rows) throws IOException {
        try (SavedModel model = SavedModel.load(dir);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            Shape shape = model.inputShape(rows);
            return model.logits(m.create(x, shape)).toFloatArray();
        }
    }

    /** Random rows in [-2, 2). */
    static float[] rows(int count, int rowSize, long seed) {
        Random rng = new Random(seed);
        float[] x = new float[count * rowSize];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextFloat() * 4 - 2;
        }
        return x;
    }
}
