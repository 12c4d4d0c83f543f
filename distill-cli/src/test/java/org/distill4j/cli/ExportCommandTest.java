package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
        Path dir =
                ExportTestModels.save(tmp.resolve("m"), new MlpSpec(List.of(4), null, 0), new long[] {3}, 2, null, 5);
        Path out = tmp.resolve("out/student.onnx");
        CliTest.Run run = CliTest.distill("export", dir.toString(), "--format", "onnx", "--out", out.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains(out.toString()).contains("sha256: " + Hashing.sha256(out));
        assertThat(tmp.resolve("out/student.export.json")).exists();
        float[] x = ExportTestModels.inputs(2, new long[] {3}, 1);
        float[] expected = ExportTestModels.logits(dir, x, new Shape(2, 3));
        try (OnnxTeacher t = OnnxTeacher.load(out, 1);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            float[] got = t.logits(m.create(x, new Shape(2, 3))).toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertThat(Math.abs(got[i] - expected[i])).isLessThanOrEqualTo(1e-5f);
            }
        }
    }

    @Test
    void aTrainedTeacherExportedToOnnxTeachesARunWithTheSameTestAccuracy() throws Exception {
        CliTest.dataset(tmp.resolve("data"));
        Path recipe = CliTest.recipe(tmp, CliTest.RECIPE);
        CliTest.Run first = CliTest.distill(
                "run",
                recipe.toString(),
                "--no-progress",
                "--out",
                tmp.resolve("out1").toString(),
                "--cache-dir",
                tmp.resolve("cache").toString());
        assertThat(first.code()).as(first.err()).isZero();
        Path onnx = tmp.resolve("teacher.onnx");
        assertThat(CliTest.distill(
                                "export",
                                tmp.resolve("out1/teacher").toString(),
                                "--format",
                                "onnx",
                                "--out",
                                onnx.toString())
                        .code())
                .isZero();

        CliTest.Run second = CliTest.distill(
                "run",
                recipe.toString(),
                "--no-progress",
                "--out",
                tmp.resolve("out2").toString(),
                "--cache-dir",
                tmp.resolve("cache").toString(),
                "--set",
                "teacher.source=onnx",
                "--set",
                "teacher.path=teacher.onnx");
        assertThat(second.code()).as(second.err()).isZero();
        ObjectMapper json = new ObjectMapper();
        JsonNode m1 = json.readTree(tmp.resolve("out1/metrics.json").toFile());
        JsonNode m2 = json.readTree(tmp.resolve("out2/metrics.json").toFile());
        // The same logits through ONNX Runtime: the same test errors, and a student distilled from them.
        assertThat(m2.at("/models/teacher/test_errors").asInt())
                .isEqualTo(m1.at("/models/teacher/test_errors").asInt());
        assertThat(m2.at("/models/teacher/description").asText()).contains("teacher.onnx");
        assertThat(m2.at("/models/student_distilled/test_accuracy").asDouble()).isBetween(0.0, 1.0);
        try (var files = java.nio.file.Files.list(tmp.resolve("cache"))) {
            assertThat(files.filter(f -> f.toString().endsWith(".logits")).count())
                    .isEqualTo(2);
        }
    }

    @Test
    void aMissingOnnxTeacherExitsThreeNamingThePath() throws Exception {
        CliTest.dataset(tmp.resolve("data"));
        Path recipe = CliTest.recipe(tmp, CliTest.RECIPE);
        CliTest.Run run = CliTest.distill(
                "run",
                recipe.toString(),
                "--no-progress",
                "--out",
                tmp.resolve("out").toString(),
                "--set",
                "teacher.source=onnx",
                "--set",
                "teacher.path=models/missing.onnx");
        assertThat(run.code()).isEqualTo(3);
        assertThat(run.err()).contains(tmp.resolve("models/missing.onnx").toString());
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
