package org.distill4j.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.JsonlTextDataset;
import org.distill4j.data.TextFeatures;
import org.distill4j.model.BagSpec;
import org.junit.jupiter.api.Test;

class RecipeJsonlTest {

    static final String TEXT = """
            name: text
            data:
              format: jsonl
              dir: ../data/descriptions
              features: {max_features: 128, word_ngrams: 1, char_ngram_min: 2, char_ngram_max: 4}
            teacher:
              model: {type: bag, buckets: 4096, dim: 32, hidden: [64]}
              training: {epochs: 2}
            student:
              model: {type: bag, dim: 8}
              training: {epochs: 3}
            """;

    @Test
    void jsonlSectionLoadsWithDefaultsAndResolvedPaths() throws Exception {
        Recipe r = RecipeLoaderTest.parse(TEXT);
        Recipe.DataSection d = r.data();
        assertThat(d.format()).isEqualTo("jsonl");
        assertThat(d.dir()).isEqualTo(Path.of("/recipes/data/descriptions"));
        assertThat(d.fields()).isEqualTo(JsonlTextDataset.Fields.defaults());
        assertThat(d.features()).isEqualTo(new TextFeatures(128, 1, 2, 4, true));
        // Absent: the validation file if there is one, else the default fraction.
        assertThat(d.validationFraction()).isNull();
        assertThat(r.teacher().model()).isEqualTo(BagSpec.of(4096, 32, List.of(64), null, null));
        assertThat(r.student().model()).isEqualTo(new BagSpec(BagSpec.DEFAULT_BUCKETS, 8, List.of(), null, 0));
        assertThat(r.distillation().useLabels()).isTrue();
    }

    @Test
    void explicitFilesAndFieldNamesResolveAgainstTheRecipe() throws Exception {
        Recipe r = RecipeLoaderTest.parse(TEXT.replace("  dir: ../data/descriptions\n", """
                  train: d/train.jsonl.gz
                  validation: /abs/val.jsonl
                  test: d/test.jsonl
                  text_field: body
                  label_field: section
                  id_field: package
                """));
        assertThat(r.data().dir()).isNull();
        assertThat(r.data().train()).isEqualTo(Path.of("/recipes/base/d/train.jsonl.gz"));
        assertThat(r.data().validation()).isEqualTo(Path.of("/abs/val.jsonl"));
        assertThat(r.data().test()).isEqualTo(Path.of("/recipes/base/d/test.jsonl"));
        assertThat(r.data().fields()).isEqualTo(new JsonlTextDataset.Fields("body", "section", "package"));
    }

    @Test
    void defaultFeaturesWhenAbsent() throws Exception {
        Recipe r = RecipeLoaderTest.parse(TEXT.replaceAll("  features: .*\n", ""));
        assertThat(r.data().features()).isEqualTo(TextFeatures.defaults());
    }

    @Test
    void misspeltFeatureKeyNamesTheKeyAndWhatIsAllowed() {
        RecipeException e = RecipeLoaderTest.error(TEXT.replace("word_ngrams", "word_ngram"));
        assertThat(e.key()).isEqualTo("data.features.word_ngram");
        assertThat(e.getMessage())
                .contains("unknown key 'word_ngram'")
                .contains("max_features")
                .contains("lowercase");
        RecipeException bag = RecipeLoaderTest.error(TEXT, "student.model.bucket=7");
        assertThat(bag.getMessage())
                .contains("unknown key 'bucket'")
                .contains("buckets")
                .contains("dim");
    }

    @Test
    void badValuesNameTheKeyAndTheAllowedValues() {
        assertThat(RecipeLoaderTest.error(TEXT, "data.format=csv").getMessage())
                .contains("'csv'")
                .contains("[idx, jsonl]");
        assertThat(RecipeLoaderTest.error(TEXT, "data.features.max_features=0").getMessage())
                .contains("max_features")
                .contains("0");
        assertThat(RecipeLoaderTest.error(TEXT, "student.model.dim=0").getMessage())
                .contains("illegal dim value: 0");
        assertThat(RecipeLoaderTest.error(TEXT, "data.text_field=label").getMessage())
                .contains("text_field and label_field");
    }

    @Test
    void dirAndFilesAreExclusiveAndFilesNeedTrainAndTest() {
        assertThat(RecipeLoaderTest.error(TEXT, "data.train=t.jsonl").getMessage())
                .contains("either dir")
                .contains("not both");
        assertThat(RecipeLoaderTest.error(TEXT, "data.dir=", "data.train=t.jsonl")
                        .getMessage())
                .contains("both train and test");
    }

    @Test
    void validationFileAndFractionAreExclusive() {
        assertThat(RecipeLoaderTest.error(
                                TEXT,
                                "data.dir=",
                                "data.train=t.jsonl",
                                "data.test=s.jsonl",
                                "data.validation=v.jsonl",
                                "data.validation_fraction=0.2")
                        .getMessage())
                .contains("validation_fraction is 0.2")
                .contains("v.jsonl")
                .contains("remove one");
    }

    @Test
    void textKeysAreErrorsForIdx() {
        assertThat(RecipeLoaderTest.error(TEXT, "data.format=idx").getMessage())
                .contains("'features' is only for format jsonl");
        assertThat(RecipeLoaderTest.error(
                                TEXT.replaceAll("  features: .*\n", ""), "data.format=idx", "data.label_field=y")
                        .getMessage())
                .contains("'label_field' is only for format jsonl");
        assertThat(RecipeLoaderTest.error(
                                TEXT.replaceAll("  features: .*\n", ""), "data.format=idx", "data.unlabelled=u.jsonl")
                        .getMessage())
                .contains("'unlabelled' is only for format jsonl");
    }

    @Test
    void textTakesDropAndMixupAndImagesTheOthers() throws Exception {
        Recipe mixed = RecipeLoaderTest.parse(
                TEXT,
                "student.training.augment={mixup: 0.4, drop: 0.1}",
                "distillation.mode=online",
                "distillation.alpha=1");
        assertThat(mixed.student().training().augment().mixes()).isTrue();
        assertThat(RecipeLoaderTest.error(TEXT, "student.training.augment={mixup: 0.4}", "distillation.mode=online")
                        .getMessage())
                .contains("a mixed image or text has no label of its own")
                .contains("alpha: 1");
        assertThat(RecipeLoaderTest.error(
                                TEXT,
                                "student.training.augment={cutmix: 1.0}",
                                "distillation.mode=online",
                                "distillation.alpha=1")
                        .getMessage())
                .contains("data.format is jsonl")
                .contains("not shift, flip or cutmix");
        assertThat(RecipeLoaderTest.error(TEXT, "student.training.augment={shift: 2}", "distillation.mode=online")
                        .getMessage())
                .contains("data.format is jsonl");
        assertThat(RecipeLoaderTest.error(
                                TEXT.replaceAll("  features: .*\n", ""),
                                "data.format=idx",
                                "student.training.augment={drop: 0.2}",
                                "distillation.mode=online")
                        .getMessage())
                .contains("drop 0.2 drops n-gram ids")
                .contains("data.format is idx");
    }

    @Test
    void useLabelsFalseNeedsAlphaOne() throws Exception {
        assertThat(RecipeLoaderTest.error(TEXT, "distillation.use_labels=false").getMessage())
                .contains("use_labels is false")
                .contains("alpha is 0.9")
                .contains("must be 1.0");
        Recipe r = RecipeLoaderTest.parse(TEXT, "distillation.use_labels=false", "distillation.alpha=1");
        assertThat(r.distillation().useLabels()).isFalse();
        assertThat(RecipeLoader.toTree(r).get("distillation").toString()).contains("use_labels=false");
    }

    @Test
    void recipeAsRunWrittenToYamlLoadsBackUnchanged() throws Exception {
        Recipe r = RecipeLoaderTest.parse(TEXT, "distillation.use_labels=false", "distillation.alpha=1");
        String yaml = RecipeLoader.toYaml(r);
        assertThat(yaml).contains("max_features: 128").contains("type: \"bag\"").doesNotContain("validation_fraction");
        assertThat(RecipeLoader.parse(yaml, "as-run", null, List.of())).isEqualTo(r);
    }
}
