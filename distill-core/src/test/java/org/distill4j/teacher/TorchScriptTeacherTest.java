package org.distill4j.teacher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.io.Hashing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads a TorchScript file traced by real PyTorch (tools/fixtures/make_torchscript_teacher.py) and
 * checks that distill4j computes the logits PyTorch computed.
 */
class TorchScriptTeacherTest {

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(
                TorchScriptTeacherTest.class.getResource("/fixtures/" + name).toURI());
    }

    @Test
    void computesTheLogitsPyTorchComputedForTheTracedModel() throws Exception {
        JsonNode expected = new ObjectMapper()
                .readTree(fixture("tiny_teacher_expected.json").toFile());
        int rows = expected.get("inputs").size();
        int dims = expected.get("inputs").get(0).size();
        int classes = expected.get("classes").asInt();
        float[] x = new float[rows * dims];
        for (int i = 0; i < rows; i++) {
            for (int d = 0; d < dims; d++) {
                x[i * dims + d] = (float) expected.get("inputs").get(i).get(d).asDouble();
            }
        }
        try (TorchScriptTeacher teacher = TorchScriptTeacher.load(fixture("tiny_teacher.pt"));
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray out = teacher.logits(manager.create(x, new Shape(rows, dims)));
            assertThat(out.getShape()).isEqualTo(new Shape(rows, classes));
            assertThat(out.getManager()).isSameAs(manager);
            float[] logits = out.toFloatArray();
            for (int i = 0; i < rows; i++) {
                for (int c = 0; c < classes; c++) {
                    assertThat((double) logits[i * classes + c])
                            .as("logit [%d][%d]", i, c)
                            .isCloseTo(expected.get("logits").get(i).get(c).asDouble(), within(1e-5));
                }
            }
        }
    }

    @Test
    void identityIsTorchscriptKindWithSha256OfTheFile() throws Exception {
        Path file = fixture("tiny_teacher.pt");
        try (TorchScriptTeacher teacher = TorchScriptTeacher.load(file)) {
            TeacherIdentity id = teacher.identity();
            assertThat(id.kind()).isEqualTo("torchscript");
            assertThat(id.contentHash()).isEqualTo(Hashing.sha256(file)).hasSize(64);
            assertThat(id.location())
                    .isEqualTo(file.toAbsolutePath().normalize().toString());
            assertThat(id.cacheKey()).isEqualTo("torchscript:" + Hashing.sha256(file));
        }
    }

    @Test
    void aCopyAtAnotherPathHasTheSameCacheKey(@TempDir Path tmp) throws Exception {
        Path copy = Files.copy(fixture("tiny_teacher.pt"), tmp.resolve("copy.pt"));
        try (TorchScriptTeacher a = TorchScriptTeacher.load(fixture("tiny_teacher.pt"));
                TorchScriptTeacher b = TorchScriptTeacher.load(copy)) {
            assertThat(b.identity().cacheKey()).isEqualTo(a.identity().cacheKey());
            assertThat(b.identity().location()).isNotEqualTo(a.identity().location());
        }
    }

    @Test
    void missingFileGivesAMessageNamingIt(@TempDir Path tmp) {
        Path missing = tmp.resolve("nope.pt");
        assertThatThrownBy(() -> TorchScriptTeacher.load(missing))
                .isInstanceOf(FileNotFoundException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("not found");
    }

    @Test
    void fileThatIsNotTorchScriptGivesAMessageNamingIt(@TempDir Path tmp) throws Exception {
        Path junk = Files.writeString(tmp.resolve("junk.pt"), "this is not a TorchScript archive");
        assertThatThrownBy(() -> TorchScriptTeacher.load(junk))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining(junk.toString());
    }
}
