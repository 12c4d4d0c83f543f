package org.distill4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.export.ExportFormat;
import org.distill4j.export.ModelExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distill export MODEL_DIR --format onnx|torchscript [--out FILE]}: a model for plain runtimes. */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = {
            "Export a saved model to ONNX or TorchScript, loadable without distill4j (see docs/export.md).",
            "Writes FILE and FILE-stem.export.json (input, output, class names and, for text models, the "
                    + "featurisation)."
        })
final class ExportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory written by distill4j.")
    Path modelDir;

    @Option(
            names = "--format",
            required = true,
            paramLabel = "FORMAT",
            converter = FormatConverter.class,
            description = "onnx or torchscript.")
    ExportFormat format;

    @Option(
            names = "--out",
            paramLabel = "FILE",
            description = "Output file (default: MODEL_DIR/model.onnx or " + "MODEL_DIR/model.pt).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path file = out != null ? out : ModelExport.defaultOutput(modelDir, format);
        ModelExport.Result r = ModelExport.export(modelDir, format, file);
        System.out.println("exported " + modelDir + " as " + format.id() + ": " + r.file());
        System.out.println("descriptor: " + r.sidecar());
        System.out.println("sha256: " + r.sha256());
        return ExitCodes.OK;
    }

    /** Parses {@code --format}, naming the allowed values. */
    static final class FormatConverter implements picocli.CommandLine.ITypeConverter<ExportFormat> {
        @Override
        public ExportFormat convert(String value) {
            return ExportFormat.of(value);
        }
    }
}
