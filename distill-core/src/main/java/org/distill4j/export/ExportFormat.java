package org.distill4j.export;

import java.util.Arrays;
import java.util.Locale;

/** The formats a model can be exported to. */
public enum ExportFormat {
    /** An ONNX graph (opset 13), loadable by ONNX Runtime and DJL's OnnxRuntime engine. */
    ONNX("onnx"),
    /** A TorchScript archive, loadable by libtorch, {@code torch.jit.load} and DJL's PyTorch engine. */
    TORCHSCRIPT("pt");

    private final String extension;

    ExportFormat(String extension) {
        this.extension = extension;
    }

    /** Returns the usual file extension, without the dot. */
    public String extension() {
        return extension;
    }

    /** Returns the command-line spelling: lower case. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the command-line spelling, naming the allowed values when it is unknown. */
    public static ExportFormat of(String id) {
        for (ExportFormat f : values()) {
            if (f.id().equalsIgnoreCase(id)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown export format '" + id + "', allowed: "
                + Arrays.stream(values()).map(ExportFormat::id).toList());
    }
}
