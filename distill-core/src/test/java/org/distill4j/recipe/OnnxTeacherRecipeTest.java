package org.distill4j.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code teacher.source: onnx} takes a path, resolved against the recipe's directory. */
class OnnxTeacherRecipeTest {

    @Test
    void onnxSourceReadsItsPath() throws Exception {
        Recipe r = RecipeLoaderTest.parse(RecipeLoaderTest.VALID, "teacher.source=onnx", "teacher.path=t.onnx");
        assertThat(r.teacher().source()).isEqualTo("onnx");
        assertThat(r.teacher().path()).isEqualTo(RecipeLoaderTest.BASE.resolve("t.onnx"));
    }

    @Test
    void onnxSourceWithoutPathIsAnError() {
        RecipeException e = RecipeLoaderTest.error(RecipeLoaderTest.VALID, "teacher.source=onnx");
        assertThat(e.getMessage()).contains("path");
    }

    @Test
    void onnxIsListedAmongTheAllowedSources() {
        assertThat(RecipeLoaderTest.error(RecipeLoaderTest.VALID, "teacher.source=tflite")
                        .getMessage())
                .contains("tflite")
                .contains("onnx");
    }
}
