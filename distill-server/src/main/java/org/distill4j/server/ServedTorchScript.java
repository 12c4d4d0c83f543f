package org.distill4j.server;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.distill4j.data.TextFeatures;
import org.distill4j.teacher.TorchScriptTeacher;

/**
 * A TorchScript classifier ({@code .pt}, traced or scripted) served over HTTP. The module must take
 * one float32 tensor (B, featureShape...) and return logits (B, C).
 *
 * <p>A TorchScript file records neither its input shape nor its classes, so the feature shape is
 * given; the number of classes is discovered by running the module once on a zero row (which also
 * proves at startup that the feature shape is right). Class names are given, or default to {@code
 * "0"}..{@code "C-1"}. The version is a prefix of the file's SHA-256.
 */
public final class ServedTorchScript implements ServedModel {

    private final String name;
    private final TorchScriptTeacher module;
    private final long[] featureShape;
    private final List<String> classNames;

    private ServedTorchScript(String name, TorchScriptTeacher module, long[] featureShape, List<String> classNames) {
        this.name = name;
        this.module = module;
        this.featureShape = featureShape;
        this.classNames = classNames;
    }

    /**
     * Loads a TorchScript file and discovers its number of classes.
     *
     * @param name the served name (see {@link ServedModel#name()})
     * @param file the {@code .pt} file
     * @param featureShape shape of one input row, every dimension at least 1
     * @param classNames class names in logit order, or null / empty to name them {@code "0"}..
     *     {@code "C-1"}; when given, their number must equal the module's output width
     * @throws IOException if the file is missing or not TorchScript, or the module cannot run on
     *     the feature shape or returns a different number of classes; the message names the file
     */
    public static ServedTorchScript load(String name, Path file, long[] featureShape, List<String> classNames)
            throws IOException {
        ServedModel.checkName(name);
        if (featureShape == null
                || featureShape.length == 0
                || Arrays.stream(featureShape).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException("illegal feature shape: " + Arrays.toString(featureShape)
                    + ", must be one or more dimensions, each at least 1 (e.g. [16] or [1, 28, 28])");
        }
        TorchScriptTeacher module = TorchScriptTeacher.load(file);
        try {
            int classes = probeClasses(module, file, featureShape);
            List<String> names;
            if (classNames == null || classNames.isEmpty()) {
                names = new ArrayList<>();
                for (int c = 0; c < classes; c++) {
                    names.add(Integer.toString(c));
                }
            } else if (classNames.size() != classes) {
                throw new IOException("TorchScript module " + file + " returns " + classes + " logits per row, but "
                        + classNames.size() + " class names were given " + classNames);
            } else {
                names = classNames;
            }
            if (classes < 2) {
                throw new IOException("TorchScript module " + file + " returns " + classes
                        + " logit per row; a classifier has at least 2 classes");
            }
            return new ServedTorchScript(name, module, featureShape.clone(), List.copyOf(names));
        } catch (IOException | RuntimeException e) {
            module.close();
            throw e;
        }
    }

    private static int probeClasses(TorchScriptTeacher module, Path file, long[] featureShape) throws IOException {
        long[] dims = new long[featureShape.length + 1];
        dims[0] = 1;
        System.arraycopy(featureShape, 0, dims, 1, featureShape.length);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray out = module.logits(m.zeros(new Shape(dims)));
            if (out.getShape().dimension() != 2 || out.getShape().get(0) != 1) {
                throw new IOException("TorchScript module " + file + " returned shape " + out.getShape()
                        + " for one row; expected logits (1, C)");
            }
            return Math.toIntExact(out.getShape().get(1));
        } catch (RuntimeException e) {
            throw new IOException(
                    "TorchScript module " + file + " cannot run on an input of shape "
                            + Arrays.toString(dims) + " (is the feature shape " + Arrays.toString(featureShape)
                            + " right?): " + e.getMessage(),
                    e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String contentHash() {
        return module.identity().contentHash();
    }

    @Override
    public String platform() {
        return "pytorch_torchscript";
    }

    @Override
    public long[] featureShape() {
        return featureShape.clone();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public Optional<TextFeatures> textFeatures() {
        return Optional.empty();
    }

    @Override
    public String describe() {
        return module.identity().description() + ", input " + Arrays.toString(featureShape) + " -> " + classNames.size()
                + " classes";
    }

    @Override
    public NDArray logits(NDArray inputs) {
        return module.logits(inputs);
    }

    @Override
    public void close() {
        module.close();
    }
}
