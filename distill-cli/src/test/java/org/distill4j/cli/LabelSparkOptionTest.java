package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code distill label --spark}: the CLI carries no Spark, so it says how to submit the job. */
class LabelSparkOptionTest {

    @Test
    void sparkOptionPrintsTheSubmitCommandAndExitsTwoWithoutReadingTheRecipe() {
        CliTest.Run r = CliTest.distill("label", "--spark", "yarn", "missing-recipe.yaml");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out())
                .contains("spark-submit --master yarn --class org.distill4j.spark.LabelJob", "missing-recipe.yaml OUT");
    }
}
