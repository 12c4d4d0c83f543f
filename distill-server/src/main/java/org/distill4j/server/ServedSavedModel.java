package org.distill4j.server;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.distill4j.data.TextFeatures;
import org.distill4j.model.SavedModel;

/**
 * A distill4j model directory ({@link SavedModel}) served over HTTP. Text classifiers (a
 * descriptor with {@code text_features}) take text, featurised with the model's own {@link
 * TextFeatures}; other models take dense float32 rows of the descriptor's feature shape. The
 * version is a prefix of {@link SavedModel#contentHash(Path)}.
 */
public final class ServedSavedModel implements ServedModel {

    private final String name;
    private final SavedModel model;
    private final String contentHash;

    private ServedSavedModel(String name, SavedModel model, String contentHash) {
        this.name = name;
        this.model = model;
        this.contentHash = contentHash;
    }

    /**
     * Loads a model directory.
     *
     * @param name the served name (see {@link ServedModel#name()})
     * @param dir a directory written by {@link SavedModel#save(Path)}
     * @throws IOException if the directory is missing or not a distill4j model; the message names
     *     the file
     */
    public static ServedSavedModel load(String name, Path dir) throws IOException {
        ServedModel.checkName(name);
        // Load first: its errors say what a model directory should hold.
        SavedModel model = SavedModel.load(dir);
        String hash;
        try {
            hash = SavedModel.contentHash(dir);
        } catch (IOException e) {
            model.close();
            throw e;
        }
        TextFeatures tf = model.descriptor().textFeatures();
        long[] fs = model.descriptor().featureShape();
        if (tf != null && (fs.length != 1 || fs[0] != tf.maxFeatures())) {
            model.close();
            throw new IOException(dir.resolve(SavedModel.DESCRIPTOR) + ": feature_shape "
                    + java.util.Arrays.toString(fs) + " does not match text_features.max_features "
                    + tf.maxFeatures() + " (a text model's input row is [max_features])");
        }
        return new ServedSavedModel(name, model, hash);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String contentHash() {
        return contentHash;
    }

    @Override
    public String platform() {
        return "distill4j";
    }

    @Override
    public long[] featureShape() {
        return model.descriptor().featureShape().clone();
    }

    @Override
    public List<String> classNames() {
        return model.descriptor().classNames();
    }

    @Override
    public Optional<TextFeatures> textFeatures() {
        return Optional.ofNullable(model.descriptor().textFeatures());
    }

    @Override
    public String describe() {
        return model.spec().describe() + ", "
                + (textFeatures().isPresent()
                        ? "text"
                        : "input "
                                + java.util.Arrays.toString(model.descriptor().featureShape()))
                + " -> " + model.numClasses()
                + " classes";
    }

    @Override
    public NDArray logits(NDArray inputs) {
        return model.logits(inputs);
    }

    @Override
    public void close() {
        model.close();
    }
}
