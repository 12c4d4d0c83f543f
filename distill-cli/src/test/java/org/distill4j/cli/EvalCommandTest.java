package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Locale;
import org.distill4j.testutil.TextCorpus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill eval --recipe}: a model of texts scored on a recipe's test or validation split,
 * the same numbers as the run's own evaluation, and against a second model with the paired test.
 */
class EvalCommandTest {

    @Test
    void scoresTextsOnARecipesSplitsAndComparesTwoModels(@TempDir Path tmp) throws Exception {
        TextCorpus.writeSplits(tmp.resolve("data"));
        Path recipe = CliTest.recipe(tmp, AuditTextCommandTest.RECIPE);
        Path out = tmp.resolve("out");
        CliTest.trainOrFail("run", recipe, out, tmp.resolve("cache"));
        JsonNode metrics =
                new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        String distilled = out.resolve("student_distilled").toString();
        String scratch = out.resolve("student_scratch").toString();

        CliTest.Run test = CliTest.distill("eval", distilled, "--recipe", recipe.toString(), "--against", scratch);
        assertThat(test.code()).as(test.err()).isZero();
        // The run's own numbers, to the digits printed.
        assertThat(test.out())
                .contains("rows:             test split, 300 rows")
                .contains(String.format(
                        Locale.ROOT,
                        "macro-F1:         %.2f%%",
                        100
                                * metrics.at("/models/student_distilled/test_macro_f1")
                                        .asDouble()))
                .contains(String.format(
                        Locale.ROOT,
                        "this minus it:  accuracy %+.2f points",
                        100
                                * metrics.at("/data/test_comparison/accuracy/difference")
                                        .asDouble()))
                .contains(String.format(
                        Locale.ROOT,
                        "(%d rows only this model gets right, %d only it)",
                        metrics.at("/data/test_comparison/mcnemar_exact/only_first_right")
                                .asInt(),
                        metrics.at("/data/test_comparison/mcnemar_exact/only_second_right")
                                .asInt()));

        CliTest.Run validation =
                CliTest.distill("eval", distilled, "--recipe", recipe.toString(), "--split", "validation");
        assertThat(validation.code()).as(validation.err()).isZero();
        assertThat(validation.out()).contains("rows:             validation split, 150 rows");
        assertThat(validation.out()).doesNotContain("against:");

        // Texts featurised otherwise than the model was trained with: an error that says so.
        CliTest.Run other = CliTest.distill(
                "eval",
                distilled,
                "--recipe",
                recipe.toString(),
                "--set",
                "data.features={max_features: 16, word_ngrams: 1}");
        assertThat(other.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(other.err()).contains("was trained on texts featurised as", "evaluate it with the recipe");

        CliTest.Run badSplit = CliTest.distill("eval", distilled, "--recipe", recipe.toString(), "--split", "train");
        assertThat(badSplit.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(badSplit.err()).contains("illegal --split value: 'train'");
        CliTest.Run both = CliTest.distill(
                "eval",
                distilled,
                "--recipe",
                recipe.toString(),
                "--data",
                tmp.resolve("data").toString());
        assertThat(both.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(both.err()).contains("mutually exclusive");
        CliTest.Run splitWithData =
                CliTest.distill("eval", distilled, "--data", tmp.resolve("data").toString(), "--split", "validation");
        assertThat(splitWithData.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(splitWithData.err()).contains("--split and --set apply to --recipe");
        CliTest.Run cacheDir = CliTest.distill(
                "eval",
                distilled,
                "--recipe",
                recipe.toString(),
                "--cache-dir",
                tmp.resolve("c").toString());
        assertThat(cacheDir.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(cacheDir.err()).contains("--cache-dir applies to language-model recipes");
    }
}
