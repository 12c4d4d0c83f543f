package org.distill4j.teacher;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.io.Hashing;

/**
 * A teacher loaded from an ONNX file ({@code .onnx}) and run by DJL's ONNX Runtime engine, next
 * to the PyTorch student in the same JVM.
 *
 * <p>The graph must have exactly one input, fed by position (its name does not matter) with the
 * float32 batch (B, featureShape...), and its first output must be the logits (B, C); further
 * outputs are ignored. Outputs are copied into the caller's (PyTorch) manager, so the result
 * behaves like any other teacher's. Identity: kind {@code onnx} and the SHA-256 of the file.
 *
 * <p>The engine ({@code ai.djl.onnxruntime:onnxruntime-engine}) is looked up at run time: the
 * distill CLI ships it; a library user adds it next to distill-core.
 */
public final class OnnxTeacher implements Teacher {

    /** DJL's name of the ONNX Runtime engine. */
    public static final String ENGINE = "OnnxRuntime";

    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;
    private final TeacherIdentity identity;

    private OnnxTeacher(ZooModel<NDList, NDList> model, TeacherIdentity identity) {
        this.model = model;
        this.predictor = model.newPredictor();
        this.identity = identity;
    }

    /**
     * Loads an ONNX file with ONNX Runtime's default threading (one intra-op thread per core).
     *
     * @param file the {@code .onnx} file
     * @throws IOException if it is missing, not ONNX, or has other than one input; the message
     *     names the file
     */
    public static OnnxTeacher load(Path file) throws IOException {
        return load(file, 0);
    }

    /**
     * Loads an ONNX file.
     *
     * @param file the {@code .onnx} file
     * @param threads ONNX Runtime intra-op threads, &gt;= 1, or 0 for its default (one per core);
     *     inter-op threads are set to 1 (the graphs distill4j runs are chains, not branches)
     * @throws IOException if it is missing, not ONNX, or has other than one input; the message
     *     names the file
     */
    public static OnnxTeacher load(Path file, int threads) throws IOException {
        if (threads < 0) {
            throw new IllegalArgumentException("illegal threads value: " + threads + ", must be >= 0 (0 = default)");
        }
        if (!Files.isRegularFile(file)) {
            throw new FileNotFoundException("ONNX teacher file not found: " + file);
        }
        if (!Engine.hasEngine(ENGINE)) {
            throw new IOException("cannot load ONNX teacher " + file + ": DJL's OnnxRuntime engine is not on the "
                    + "classpath; add ai.djl.onnxruntime:onnxruntime-engine (the distill CLI includes it)");
        }
        Criteria.Builder<NDList, NDList> builder = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(file)
                .optEngine(ENGINE)
                .optTranslator(new NoopTranslator());
        if (threads > 0) {
            // DJL applies intraOpNumThreads only when interOpNumThreads is given too.
            builder.optOption("interOpNumThreads", "1").optOption("intraOpNumThreads", Integer.toString(threads));
        }
        ZooModel<NDList, NDList> model;
        try {
            model = builder.build().loadModel();
        } catch (ModelNotFoundException | MalformedModelException | RuntimeException e) {
            throw new IOException("cannot load ONNX teacher " + file + ": " + rootMessage(e), e);
        }
        List<String> inputs = model.getBlock().describeInput().keys();
        if (inputs.size() != 1) {
            model.close();
            throw new IOException("ONNX teacher " + file + " has " + inputs.size() + " inputs " + inputs
                    + "; a teacher takes exactly one (the float32 batch of feature rows)");
        }
        String hash = Hashing.sha256(file);
        return new OnnxTeacher(
                model,
                new TeacherIdentity(
                        "onnx", file.toAbsolutePath().normalize().toString(), hash, "ONNX " + file.getFileName()));
    }

    @Override
    public TeacherIdentity identity() {
        return identity;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if the graph rejects the input (wrong shape or type); the
     *     message names the file and the shape given
     * @throws IllegalStateException if the first output is not float logits of shape (B, C)
     */
    @Override
    public NDArray logits(NDArray inputs) {
        NDList out;
        try {
            out = predictor.predict(new NDList(inputs));
        } catch (TranslateException | RuntimeException e) {
            throw new IllegalArgumentException(
                    "ONNX teacher " + identity.location() + " rejected an input of shape " + inputs.getShape() + " "
                            + inputs.getDataType() + ": " + rootMessage(e),
                    e);
        }
        try (out) {
            NDArray logits = out.head();
            Shape shape = logits.getShape();
            if (shape.dimension() != 2 || shape.get(0) != inputs.getShape().get(0)) {
                throw new IllegalStateException("ONNX teacher " + identity.location() + " returned output '"
                        + logits.getName() + "' of shape " + shape + " for a batch of shape " + inputs.getShape()
                        + "; a teacher's first output must be logits of shape (batch, classes)");
            }
            float[] values;
            if (logits.getDataType() == DataType.FLOAT32) {
                values = logits.toFloatArray();
            } else if (logits.getDataType() == DataType.FLOAT64) {
                double[] d = logits.toDoubleArray();
                values = new float[d.length];
                for (int i = 0; i < d.length; i++) {
                    values[i] = (float) d[i];
                }
            } else {
                throw new IllegalStateException(
                        "ONNX teacher " + identity.location() + " returned " + logits.getDataType() + " output '"
                                + logits.getName() + "'; logits must be float32 or float64");
            }
            // ONNX Runtime's arrays live in its own engine; the student's loss needs PyTorch arrays.
            return inputs.getManager().create(values, shape);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
    }
}
