package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.export.ExportTestModels;
import org.distill4j.io.Hashing;
import org.distill4j.model.MlpSpec;
import org.distill4j.teacher.OnnxTeacher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill export} through the real command line. */
class ExportCommandTest {

    @TempDir
    Path tmp;

    @Test
    void exportsOnnxThatRunsWithTheModelsLogits() throws Exception {
        Path dir = ExportTestModels.save(tmp.resolve("m"), new MlpSpec(List.of(4), null, 0), new long[] {3}, 2, null, 5);
        Path out = tmp.resolve("out/student.onnx");
        CliTest.Run run = CliTest.distill("export", dir.toString(), "--format", "onnx", "--out", out.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains(out.toString()).contains("sha256: " + Hashing.sha256(out));
        assertThat(tmp.resolve("out/student.export.json")).exists();
        float[] x = ExportTestModels.inputs(2, new long[] {3}, 1);
        float[] expected = ExportTestModels.logits(dir, x, new Shape(2, 3));
        try (OnnxTeacher t = OnnxTeacher.load(out, 1); NDManager m = NDManager.newBaseManager("PyTorch")) {
            float[] got = t.logits(m.create(x, new Shape(2, 3))).toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertThat(Math.abs(got[i] - expected[i])).isLessThanOrEqualTo(1e-5f);
            }
        }
    }

    @Test
    void defaultOutputIsInTheModelDirectory() throws Exception {
        Path dir = ExportTestModels.save(tmp.resolve("m"), new MlpSpec(List.of(), null, 0), new long[] {3}, 2, null, 5);
        CliTest.Run run = CliTest.distill("export", dir.toString(), "--format", "onnx");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(dir.resolve("model.onnx")).exists();
        assertThat(dir.resolve("model.export.json")).exists();
    }

    @Test
    void anUnknownFormatIsAUsageErrorNamingTheAllowedOnes() {
        CliTest.Run run = CliTest.distill("export", tmp.toString(), "--format", "tflite");
        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("tflite").contains("onnx").contains("torchscript");
    }

    @Test
    void aMissingModelDirectoryIsNamed() {
        Path missing = tmp.resolve("absent");
        CliTest.Run run = CliTest.distill("export", missing.toString(), "--format", "onnx");
        assertThat(run.code()).isNotZero();
        assertThat(run.err()).contains(missing.toString());
    }
}
