package org.distill4j.audit;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.List;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.TextFeatures;
import org.distill4j.teacher.Teacher;

/**
 * A model run in this process through the {@link Teacher} interface (a distill4j model directory
 * or a TorchScript file). Batches live in a sub-manager each; closing this closes the teacher.
 */
public final class LocalModel implements AuditedModel {

    private static final int BATCH = 256;

    private final String name;
    private final Teacher teacher;
    private final List<String> classNames;
    private final long[] featureShape;
    private final TextFeatures textFeatures;
    private long queries;

    /**
     * Wraps a teacher.
     *
     * @param name a short name for reports
     * @param teacher the model; closed with this
     * @param classNames its declared class names, or null
     * @param featureShape its declared input row shape, or null
     */
    public LocalModel(String name, Teacher teacher, List<String> classNames, long[] featureShape) {
        this(name, teacher, classNames, featureShape, null);
    }

    /**
     * Wraps a teacher of text.
     *
     * @param name a short name for reports
     * @param teacher the model; closed with this
     * @param classNames its declared class names, or null
     * @param featureShape its declared input row shape, or null
     * @param textFeatures its declared featurisation of text, or null for a model of dense features
     */
    public LocalModel(
            String name, Teacher teacher, List<String> classNames, long[] featureShape, TextFeatures textFeatures) {
        this.textFeatures = textFeatures;
        this.name = name;
        this.teacher = teacher;
        this.classNames = classNames == null ? null : List.copyOf(classNames);
        this.featureShape = featureShape == null ? null : featureShape.clone();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public long[] featureShape() {
        return featureShape == null ? null : featureShape.clone();
    }

    @Override
    public TextFeatures textFeatures() {
        return textFeatures;
    }

    @Override
    public float[][] logProbabilities(ExampleSet probes) {
        int n = probes.size();
        int c = probes.numClasses();
        float[][] out = new float[n][];
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            for (int from = 0; from < n; from += BATCH) {
                int to = Math.min(n, from + BATCH);
                int[] rows = new int[to - from];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = from + i;
                }
                float[] x = new float[rows.length * probes.featureSize()];
                probes.copyFeatures(rows, x);
                try (NDManager batch = manager.newSubManager()) {
                    NDArray logits;
                    try {
                        logits = teacher.logits(batch.create(x, ExampleSets.batchShape(probes, rows.length)));
                    } catch (RuntimeException e) {
                        throw new AuditException(
                                "model " + name + " rejected inputs of shape " + Arrays.toString(probes.featureShape())
                                        + " per row: " + e.getMessage(),
                                e);
                    }
                    if (logits.getShape().dimension() != 2
                            || logits.getShape().get(0) != rows.length
                            || logits.getShape().get(1) != c) {
                        throw new AuditException("model " + name + " returned outputs of shape " + logits.getShape()
                                + " for " + rows.length + " rows, expected (" + rows.length + ", " + c
                                + "): its label set differs from the teacher's " + probes.classNames());
                    }
                    float[] lp = logits.logSoftmax(1).toFloatArray();
                    for (int i = 0; i < rows.length; i++) {
                        out[from + i] = Arrays.copyOfRange(lp, i * c, (i + 1) * c);
                    }
                }
            }
        }
        queries += n;
        return out;
    }

    @Override
    public long queries() {
        return queries;
    }

    @Override
    public void close() {
        teacher.close();
    }
}
