package org.distill4j.lm.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.recipe.RecipeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LmRecipe}: defaults, overrides (including removal), path resolution and key-naming errors. */
class LmRecipeTest {

    @TempDir
    Path tmp;

    private String yaml() throws Exception {
        Files.writeString(tmp.resolve("c.jsonl"), "{\"text\": \"a\"}\n");
        return """
                name: r
                data: {format: text, path: c.jsonl}
                teacher: {layers: 2, width: 32, heads: 2, training: {steps: 5}}
                student: {layers: 1, width: 16, heads: 2, training: {steps: 5}}
                """;
    }

    @Test
    void defaultsOverridesAndRemoval() throws Exception {
        LmRecipe r = LmRecipe.parse(yaml(), "t", tmp, List.of());
        assertThat(r.data().path()).isEqualTo(tmp.resolve("c.jsonl"));
        assertThat(r.variant()).isEqualTo("topk");
        assertThat(r.k()).isEqualTo(20);
        assertThat(r.context()).isEqualTo(128);
        assertThat(r.decoder(r.teacher(), "teacher", 258).parameterCount()).isPositive();
        LmRecipe loaded = LmRecipe.parse(
                yaml(),
                "t",
                tmp,
                List.of(
                        "teacher.layers=",
                        "teacher.width=",
                        "teacher.heads=",
                        "teacher.training=",
                        "teacher.path=saved",
                        "distillation.variant=sequence",
                        "distillation.generated_tokens=1000"));
        assertThat(loaded.teacher().layers()).isNull();
        assertThat(loaded.teacher().path()).isEqualTo(tmp.resolve("saved"));
        assertThat(loaded.generatedTokens()).isEqualTo(1000L);
        assertThat(LmRecipe.isLmRecipe(tmp.resolve("c.jsonl"))).isFalse();
    }

    @Test
    void badValuesNameTheirKey() throws Exception {
        assertThatThrownBy(() -> LmRecipe.parse(yaml(), "t", tmp, List.of("teacher.path=x")))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("exactly one of");
        assertThatThrownBy(() -> LmRecipe.parse(yaml(), "t", tmp, List.of("data.test=0")))
                .hasMessageContaining("data.validation and data.test must be > 0");
        assertThatThrownBy(() -> LmRecipe.parse(yaml(), "t", tmp, List.of("student.width=30", "student.heads=4")))
                .hasMessageContaining("student: illegal width value: 30");
        assertThatThrownBy(() -> LmRecipe.parse(yaml(), "t", tmp, List.of("data.path=missing.jsonl")))
                .hasMessageContaining("missing.jsonl is not a file");
        assertThatThrownBy(() -> LmRecipe.parse(
                        yaml(),
                        "t",
                        tmp,
                        List.of("teacher.http={url: x, model: m}", "teacher.layers=", "distillation.variant=full")))
                .hasMessageContaining("full and sampled KD need the teacher in-process");
        assertThatThrownBy(() -> LmRecipe.parse(
                        yaml(), "t", tmp, List.of("teacher.http={url: x, model: m, route: chat}", "teacher.layers=")))
                .hasMessageContaining("chat only for variant sequence");
        assertThatThrownBy(() -> LmRecipe.parse(yaml(), "t", tmp, List.of("data.student_share=0")))
                .hasMessageContaining("data.student_share must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> LmRecipe.parse(yaml(), "t", tmp, List.of("data.student_share=1.5")))
                .hasMessageContaining("data.student_share must be in (0, 1]");
        assertThatThrownBy(() ->
                        LmRecipe.parse(yaml(), "t", tmp, List.of("data.student_share=0.5", "data.streaming=true")))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("needs the corpus in memory");
        assertThatThrownBy(() -> LmRecipe.parse(yaml(), "t", tmp, List.of("data.split_by=package")))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("data.split_by must be document or near_duplicates, got package");
        assertThatThrownBy(() -> LmRecipe.parse(
                        yaml(), "t", tmp, List.of("data.split_by=near_duplicates", "data.streaming=true")))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("data.split_by: near_duplicates reads every document before splitting");
        assertThat(LmRecipe.parse(yaml(), "t", tmp, List.of("data.split_by=near_duplicates"))
                        .splitUnit())
                .isEqualTo(org.distill4j.lm.corpus.CorpusSplit.Unit.NEAR_DUPLICATES);
        assertThat(LmRecipe.parse(yaml(), "t", tmp, List.of()).splitUnit())
                .isEqualTo(org.distill4j.lm.corpus.CorpusSplit.Unit.DOCUMENT);
        // Above the streaming threshold (a sparse file: nothing is read), the document split streams
        // by default and the grouped one, which needs every document first, does not.
        Path big = tmp.resolve("big.jsonl");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(LmRecipe.STREAMING_THRESHOLD + 1);
        }
        assertThat(LmRecipe.parse(yaml(), "t", tmp, List.of("data.path=big.jsonl"))
                        .streaming())
                .isTrue();
        assertThat(LmRecipe.parse(yaml(), "t", tmp, List.of("data.path=big.jsonl", "data.split_by=near_duplicates"))
                        .streaming())
                .isFalse();
        assertThat(LmRecipe.parse(yaml(), "t", tmp, List.of("data.student_share=0.5"))
                        .studentShare())
                .isEqualTo(0.5);
        assertThat(LmRecipe.parse(yaml(), "t", tmp, List.of()).studentShare()).isEqualTo(1.0);
        assertThat(LmRecipe.parse(yaml(), "t", tmp, List.of()).teacherShare()).isEqualTo(1.0);
        assertThat(LmRecipe.parse(yaml(), "t", tmp, List.of("distillation.teacher_share=0.25"))
                        .teacherShare())
                .isEqualTo(0.25);
        assertThatThrownBy(() -> LmRecipe.parse(yaml(), "t", tmp, List.of("distillation.teacher_share=0")))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("distillation.teacher_share must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> LmRecipe.parse(
                        yaml(), "t", tmp, List.of("distillation.teacher_share=0.5", "distillation.variant=full")))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("distillation.teacher_share below 1 needs variant topk")
                .hasMessageContaining("variant full");
        assertThatThrownBy(() -> LmRecipe.parse(yaml(), "t", tmp, List.of("student.training.select=first")))
                .hasMessageContaining("student.training.select must be last or best_validation, got 'first'");
        assertThat(LmRecipe.parse(yaml(), "t", tmp, List.of("student.training.select=best_validation"))
                        .student()
                        .training()
                        .selectsBestValidation())
                .isTrue();
        assertThatThrownBy(() -> LmRecipe.parse(yaml(), "t", tmp, List.of("teacher.training.schedule=linear")))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("teacher.training.schedule must be constant, cosine or step, got 'linear'");
        assertThat(LmRecipe.parse(yaml(), "t", tmp, List.of("student.training.schedule=cosine"))
                        .student()
                        .training()
                        .scheduleOrDefault())
                .isEqualTo(org.distill4j.train.Schedule.COSINE);
        assertThat(LmRecipe.parse(yaml(), "t", tmp, List.of())
                        .student()
                        .training()
                        .scheduleOrDefault())
                .isEqualTo(org.distill4j.train.Schedule.CONSTANT);
        assertThatThrownBy(() -> LmRecipe.parse(yaml() + "extra: 1\n", "t", tmp, List.of()))
                .hasMessageContaining("extra");
    }
}
