package org.distill4j.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.distill4j.recipe.RecipeLoaderTest.VALID;
import static org.distill4j.recipe.RecipeLoaderTest.error;
import static org.distill4j.recipe.RecipeLoaderTest.parse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile and careless recipes (issue 14, items 3, 6, 9 and 10). */
class RecipeHardeningTest {

    @Test
    void namesThatAreDotsOrCouldEscapeTheOutputDirectoryAreRefused() {
        for (String name : new String[] {".", "..", "...", ".hidden", "-rf"}) {
            RecipeException e = error(VALID.replace("name: tiny", "name: '" + name + "'"));
            assertThat(e.getMessage())
                    .as(name)
                    .contains("illegal name value: '" + name + "'")
                    .contains("1-64")
                    .contains("starting with a letter or digit");
        }
    }

    @Test
    void aHugeNameIsNotEchoedWhole() {
        String name = "a".repeat(60_000);
        RecipeException e = error(VALID.replace("name: tiny", "name: " + name));
        assertThat(e.getMessage()).contains("name").contains("60000 chars").hasSizeLessThan(600);
    }

    @Test
    void ordinaryNamesStillLoad() throws Exception {
        assertThat(parse(VALID.replace("name: tiny", "name: my.run_2-b")).name())
                .isEqualTo("my.run_2-b");
    }

    @Test
    void anOversizedRecipeFileIsRefusedBeforeParsing(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("big.yaml");
        Files.writeString(f, VALID + "# " + "x".repeat(16 << 20) + "\n");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> RecipeLoader.load(f, List.of()))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("bytes")
                .hasMessageContaining("distill4j.maxRecipeBytes");
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(2);
    }

    @Test
    void anOverlongScalarIsRefusedNamingItsKey() {
        RecipeException e = error(VALID.replace("teacher:\n", "teacher:\n  terms: " + "t".repeat(70_000) + "\n"));
        assertThat(e.getMessage()).contains("teacher.terms").contains("70000").contains("65536");
        assertThat(e.getMessage()).hasSizeLessThan(600);
    }

    @Test
    void anOverlongOverrideValueIsRefused() {
        RecipeException e = error(VALID, "name=" + "n".repeat(70_000));
        assertThat(e.getMessage()).contains("name").contains("65536").hasSizeLessThan(600);
    }

    @Test
    void invalidUtf8NamesTheFileAndLine(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("bad.yaml");
        byte[] head = "name: tiny\ndata:\n  dir: d\n# caf".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = java.util.Arrays.copyOf(head, head.length + 2);
        bytes[head.length] = (byte) 0xE9;
        bytes[head.length + 1] = '\n';
        Files.write(f, bytes);
        assertThatThrownBy(() -> RecipeLoader.load(f, List.of()))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("line 4")
                .hasMessageContaining("not valid UTF-8");
    }

    @Test
    void aByteOrderMarkIsAccepted(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("bom.yaml");
        Files.write(f, ("\uFEFF" + VALID).getBytes(StandardCharsets.UTF_8));
        assertThat(RecipeLoader.load(f, List.of()).name()).isEqualTo("tiny");
    }

    @Test
    void yamlAliasesAreRefusedClearlyNotMisread() {
        String yaml = VALID.replace("training: {epochs: 2}", "training: {epochs: &ep 2}")
                .replace("training: {epochs: 3,", "training: {epochs: *ep,");
        RecipeException e = error(yaml);
        assertThat(e.getMessage())
                .contains("alias")
                .contains("*ep")
                .contains("line 9")
                .doesNotContain("not a valid integer");
    }

    @Test
    void aListWhereANumberBelongsSaysWhatWasExpected() {
        RecipeException e = error(VALID + "distillation: {temperature: [1, 2]}\n");
        assertThat(e.key()).isEqualTo("distillation.temperature");
        assertThat(e.getMessage())
                .contains("key 'distillation.temperature'")
                .contains("expected a number")
                .contains("got a list")
                .doesNotContain("Cannot deserialize")
                .doesNotContain("java.lang");
    }

    /** Found by FuzzTest (seed 7): a NUL in a path escaped as InvalidPathException. */
    @Test
    void aPathWithANulCharacterIsARecipeErrorNamingTheKey() {
        RecipeException e = error(VALID.replace("dir: data/idx", "dir: \"data\\0idx\""));
        assertThat(e.key()).isEqualTo("data.dir");
        assertThat(e.getMessage()).contains("key 'data.dir'").contains("not a valid path");
    }

    /** Found by FuzzTest (seed 7): a cut "\\u" escape escaped from SnakeYAML as NumberFormatException. */
    @Test
    void aCutUnicodeEscapeIsInvalidYamlNotANumberFormatException() {
        RecipeException e = error(VALID + "x: \"\\u");
        assertThat(e.getMessage()).contains("recipe test.yaml is not valid YAML");
    }
}
