package org.distill4j.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.TextFeatures;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.Hashing;
import org.distill4j.model.SavedModel;

/**
 * Exports a saved distill4j model directory to a file that plain runtimes load (no distill4j
 * classes), plus a sidecar {@code <stem>.export.json} describing the input, the output, the class
 * names and, for text models, the featurisation (see {@link Featurisation}). Both files are written
 * atomically, the model file first, so a sidecar never describes a missing or half-written model.
 */
public final class ModelExport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelExport() {}

    /**
     * What an export wrote.
     *
     * @param file the exported model
     * @param sidecar the descriptor written next to it
     * @param sha256 hex SHA-256 of {@code file}
     */
    public record Result(Path file, Path sidecar, String sha256) {}

    /** Returns the default output file for a model directory: {@code MODEL_DIR/model.<ext>}. */
    public static Path defaultOutput(Path modelDir, ExportFormat format) {
        return modelDir.resolve("model." + format.extension());
    }

    /** Returns the sidecar path of an export file: {@code model.onnx} -> {@code model.export.json}. */
    public static Path sidecar(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return file.resolveSibling(stem + ".export.json");
    }

    /**
     * Exports the model saved in {@code modelDir}.
     *
     * @param modelDir a distill4j model directory (model.json and parameters)
     * @param format the format to write
     * @param out the file to write (its directory is created if needed)
     * @throws IOException if the model cannot be read or the files cannot be written
     * @throws IllegalArgumentException if the model's architecture cannot be exported
     */
    public static Result export(Path modelDir, ExportFormat format, Path out) throws IOException {
        try (SavedModel model = SavedModel.load(modelDir)) {
            String sourceHash = SavedModel.contentHash(modelDir);
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("distill4j.architecture", model.spec().describe());
            metadata.put(
                    "distill4j.class_names",
                    JSON.writer()
                            .without(SerializationFeature.INDENT_OUTPUT)
                            .writeValueAsString(model.descriptor().classNames()));
            metadata.put("distill4j.source_content_hash", sourceHash);
            byte[] bytes = switch (format) {
                case ONNX -> OnnxExporter.toOnnx(model, metadata);
                case TORCHSCRIPT -> TorchScriptExporter.toTorchScript(model, metadata);
            };
            Path abs = out.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            AtomicFiles.write(abs, bytes);
            String sha = Hashing.sha256(abs);
            Path sidecar = sidecar(abs);
            AtomicFiles.write(sidecar, JSON.writeValueAsBytes(describe(model, format, abs, sha, sourceHash)));
            return new Result(abs, sidecar, sha);
        }
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> describe(
            SavedModel model, ExportFormat format, Path file, String sha, String sourceHash) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("format", "distill4j-export");
        d.put("version", 1);
        d.put("model_format", format.id());
        d.put("file", file.getFileName().toString());
        d.put("sha256", sha);
        d.put("source_content_hash", sourceHash);
        d.put("architecture", model.spec().describe());
        List<Object> inShape = new ArrayList<>();
        inShape.add("batch");
        for (long dim : model.descriptor().featureShape()) {
            inShape.add(dim);
        }
        d.put("input", ordered("name", OnnxExporter.INPUT, "dtype", "float32", "shape", inShape));
        d.put(
                "output",
                ordered(
                        "name",
                        OnnxExporter.OUTPUT,
                        "dtype",
                        "float32",
                        "shape",
                        List.of("batch", model.numClasses()),
                        "meaning",
                        "raw logits; softmax gives class probabilities"));
        d.put("class_names", model.descriptor().classNames());
        TextFeatures tf = model.descriptor().textFeatures();
        if (tf != null) {
            d.put("featurisation", Featurisation.describe(tf));
        }
        return d;
    }
}
