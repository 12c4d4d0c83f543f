package org.distill4j.teacher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.export.ExportFormat;
import org.distill4j.export.ExportTestModels;
import org.distill4j.export.ModelExport;
import org.distill4j.export.OnnxFixtures;
import org.distill4j.io.Hashing;
import org.distill4j.model.MlpSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A distill4j model exported to ONNX teaches through ONNX Runtime: same logits as the model
 * itself, in the caller's PyTorch manager, identity by file hash, clear errors for graphs and
 * inputs a teacher cannot use.
 */
class OnnxTeacherTest {

    @TempDir
    Path tmp;

    Path modelDir;
    Path onnx;

    @BeforeEach
    void export() throws Exception {
        modelDir = ExportTestModels.save(
                tmp.resolve("model"), new MlpSpec(List.of(8), null, 0), new long[] {5}, 3, null, 11);
        onnx = ModelExport.export(modelDir, ExportFormat.ONNX, tmp.resolve("teacher.onnx"))
                .file();
    }

    @Test
    void computesTheExportedModelsLogitsIntoTheCallersPyTorchManager() throws Exception {
        float[] x = ExportTestModels.inputs(4, new long[] {5}, 2);
        float[] expected = ExportTestModels.logits(modelDir, x, new Shape(4, 5));
        try (OnnxTeacher teacher = OnnxTeacher.load(onnx, 1);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray out = teacher.logits(manager.create(x, new Shape(4, 5)));
            assertThat(out.getShape()).isEqualTo(new Shape(4, 3));
            assertThat(out.getManager()).isSameAs(manager);
            assertThat(out.getManager().getEngine().getEngineName()).isEqualTo("PyTorch");
            float[] got = out.toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertThat(got[i]).as("logit %d", i).isCloseTo(expected[i], within(1e-5f));
            }
            // The copy is independent of ONNX Runtime's buffers: a second batch leaves it unchanged.
            teacher.logits(manager.create(ExportTestModels.inputs(4, new long[] {5}, 3), new Shape(4, 5)));
            assertThat(out.toFloatArray()).containsExactly(got);
        }
    }

    @Test
    void identityIsOnnxKindWithTheFilesSha256() throws Exception {
        Path copy = Files.copy(onnx, tmp.resolve("copy.onnx"));
        try (OnnxTeacher a = OnnxTeacher.load(onnx, 1);
                OnnxTeacher b = OnnxTeacher.load(copy)) {
            assertThat(a.identity().kind()).isEqualTo("onnx");
            assertThat(a.identity().contentHash()).isEqualTo(Hashing.sha256(onnx));
            assertThat(a.identity().location())
                    .isEqualTo(onnx.toAbsolutePath().normalize().toString());
            assertThat(b.identity().cacheKey()).isEqualTo(a.identity().cacheKey());
        }
        Path other = ModelExport.export(
                        ExportTestModels.save(
                                tmp.resolve("other"), new MlpSpec(List.of(8), null, 0), new long[] {5}, 3, null, 12),
                        ExportFormat.ONNX,
                        tmp.resolve("other.onnx"))
                .file();
        try (OnnxTeacher a = OnnxTeacher.load(onnx, 1);
                OnnxTeacher c = OnnxTeacher.load(other, 1)) {
            assertThat(c.identity().cacheKey()).isNotEqualTo(a.identity().cacheKey());
        }
    }

    @Test
    void aWrongInputShapeNamesTheFileAndTheShape() throws Exception {
        try (OnnxTeacher teacher = OnnxTeacher.load(onnx, 1);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray wrong = manager.ones(new Shape(2, 7));
            assertThatThrownBy(() -> teacher.logits(wrong))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(onnx.getFileName().toString())
                    .hasMessageContaining("(2, 7)");
        }
    }

    @Test
    void logitsOfTheWrongRankAreRefused() throws Exception {
        Path file = Files.write(tmp.resolve("rank3.onnx"), OnnxFixtures.rankThreeOutput(4));
        try (OnnxTeacher teacher = OnnxTeacher.load(file, 1);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            assertThatThrownBy(() -> teacher.logits(manager.ones(new Shape(2, 4))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("rank3.onnx")
                    .hasMessageContaining("(2, 1, 4)")
                    .hasMessageContaining("(batch, classes)");
        }
    }

    @Test
    void aGraphWithTwoInputsIsRefusedAtLoad() throws Exception {
        Path file = Files.write(tmp.resolve("two.onnx"), OnnxFixtures.twoInputs(3));
        assertThatThrownBy(() -> OnnxTeacher.load(file, 1))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("two.onnx")
                .hasMessageContaining("2 inputs [input, second]");
    }

    @Test
    void missingAndMalformedFilesAreNamed() throws Exception {
        Path missing = tmp.resolve("nope.onnx");
        assertThatThrownBy(() -> OnnxTeacher.load(missing))
                .isInstanceOf(FileNotFoundException.class)
                .hasMessageContaining(missing.toString());
        Path junk = Files.writeString(tmp.resolve("junk.onnx"), "not a protobuf");
        assertThatThrownBy(() -> OnnxTeacher.load(junk))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(junk.toString());
        assertThatThrownBy(() -> OnnxTeacher.load(onnx, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threads");
    }
}
