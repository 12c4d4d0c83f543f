package org.distill4j.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.distill4j.recipe.RecipeLoaderTest.VALID;
import static org.distill4j.recipe.RecipeLoaderTest.error;
import static org.distill4j.recipe.RecipeLoaderTest.parse;

import org.junit.jupiter.api.Test;

/** Hostile and careless recipes (issue 14, items 3, 6, 9 and 10). */
class RecipeHardeningTest {

    @Test
    void namesThatAreDotsOrCouldEscapeTheOutputDirectoryAreRefused() {
        for (String name : new String[] {".", "..", "...", ".hidden", "-rf"}) {
            RecipeException e = error(VALID.replace("name: tiny", "name: '" + name + "'"));
            assertThat(e.getMessage()).as(name).contains("illegal name value: '" + name + "'").contains("1-64")
                    .contains("starting with a letter or digit");
        }
    }

    @Test
    void aHugeNameIsNotEchoedWhole() {
        String name = "a".repeat(1 << 20);
        RecipeException e = error(VALID.replace("name: tiny", "name: " + name));
        assertThat(e.getMessage()).contains("name").contains("1048576 chars").hasSizeLessThan(600);
    }

    @Test
    void ordinaryNamesStillLoad() throws Exception {
        assertThat(parse(VALID.replace("name: tiny", "name: my.run_2-b")).name()).isEqualTo("my.run_2-b");
    }
}
