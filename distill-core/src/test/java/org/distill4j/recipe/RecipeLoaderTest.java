package org.distill4j.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.Activation;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.train.OptimizerKind;
import org.distill4j.train.Schedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeLoaderTest {

    static final String VALID = """
            name: tiny
            data:
              dir: data/idx
            teacher:
              model: {type: cnn, channels: [8]}
              training: {epochs: 2}
            student:
              model: {type: mlp, hidden: [16]}
              training: {epochs: 3, optimizer: sgd, learning_rate: 0.05}
            """;

    static final Path BASE = Path.of("/recipes/base");

    static Recipe parse(String yaml, String... overrides) throws RecipeException {
        return RecipeLoader.parse(yaml, "test.yaml", BASE, List.of(overrides));
    }

    static RecipeException error(String yaml, String... overrides) {
        try {
            parse(yaml, overrides);
        } catch (RecipeException e) {
            return e;
        }
        throw new AssertionError("recipe was accepted: " + yaml + " " + List.of(overrides));
    }

    @Test
    void validRecipeLoadsWithDefaultsFilled() throws Exception {
        Recipe r = parse(VALID);
        assertThat(r.name()).isEqualTo("tiny");
        assertThat(r.seed()).isZero();
        assertThat(r.data().format()).isEqualTo("idx");
        assertThat(r.data().validationFraction()).isEqualTo(0.1);
        assertThat(r.data().trainLimit()).isZero();
        assertThat(r.teacher().source()).isEqualTo("train");
        assertThat(r.teacher().model()).isEqualTo(new CnnSpec(List.of(8), 3, 2, List.of(), Activation.RELU, 0, false));
        assertThat(r.teacher().training().batchSize()).isEqualTo(128);
        assertThat(r.teacher().training().optimizer()).isEqualTo(OptimizerKind.ADAM);
        assertThat(r.teacher().training().learningRate()).isEqualTo(0.001);
        assertThat(r.teacher().training().schedule()).isEqualTo(Schedule.CONSTANT);
        assertThat(r.student().model()).isEqualTo(new MlpSpec(List.of(16), Activation.RELU, 0));
        assertThat(r.student().training().optimizer()).isEqualTo(OptimizerKind.SGD);
        assertThat(r.student().training().momentum()).isEqualTo(0.9);
        assertThat(r.distillation().temperature()).isEqualTo(4.0);
        assertThat(r.distillation().alpha()).isEqualTo(0.9);
        assertThat(r.distillation().mode()).isEqualTo("cached");
        assertThat(r.evaluation().latencyRuns()).isEqualTo(300);
        assertThat(r.evaluation().throughputBatch()).isEqualTo(256);
    }

    @Test
    void relativeDataDirIsResolvedAgainstTheRecipesDirectory(@TempDir Path tmp) throws Exception {
        Path recipe =
                Files.writeString(Files.createDirectories(tmp.resolve("r")).resolve("x.yaml"), VALID);
        Recipe r = RecipeLoader.load(recipe, List.of());
        assertThat(r.data().dir())
                .isEqualTo(tmp.resolve("r/data/idx").toAbsolutePath().normalize());
        Recipe abs = parse(VALID, "data.dir=/abs/where");
        assertThat(abs.data().dir()).isEqualTo(Path.of("/abs/where"));
        Recipe up = parse(VALID, "data.dir=../shared");
        assertThat(up.data().dir()).isEqualTo(Path.of("/recipes/shared"));
    }

    @Test
    void overridesOfNumbersListsAndNestedSectionsApply() throws Exception {
        Recipe r = parse(
                VALID,
                "student.training.epochs=7",
                "student.training.learning_rate=0.5",
                "student.model.hidden=[64, 32]",
                "teacher.model={type: mlp, hidden: [128]}",
                "distillation.temperature=2",
                "evaluation.latency_runs=10",
                "seed=99");
        assertThat(r.student().training().epochs()).isEqualTo(7);
        assertThat(r.student().training().learningRate()).isEqualTo(0.5);
        assertThat(r.student().model()).isEqualTo(new MlpSpec(List.of(64, 32), null, 0));
        assertThat(r.teacher().model()).isEqualTo(new MlpSpec(List.of(128), null, 0));
        assertThat(r.distillation().temperature()).isEqualTo(2.0);
        assertThat(r.distillation().alpha()).isEqualTo(0.9);
        assertThat(r.evaluation().latencyRuns()).isEqualTo(10);
        assertThat(r.seed()).isEqualTo(99);
        // Untouched values stay.
        assertThat(r.student().training().optimizer()).isEqualTo(OptimizerKind.SGD);
    }

    @Test
    void overrideWithoutEqualsSignIsRejected() {
        assertThat(error(VALID, "student.training.epochs").getMessage()).contains("key=value");
    }

    @Test
    void unknownKeyNamesTheKeyAndWhatIsAllowed() {
        RecipeException e = error(VALID.replace("student:\n  model:", "student:\n  modle:"));
        assertThat(e.key()).isEqualTo("student.modle");
        assertThat(e.getMessage())
                .contains("unknown key 'modle'")
                .contains("test.yaml")
                .contains("model")
                .contains("training");
        RecipeException viaSet = error(VALID, "student.modle.hidden=[4]");
        assertThat(viaSet.getMessage()).contains("unknown key 'modle'").contains("allowed");
    }

    @Test
    void nonPositiveTemperatureIsRejectedNamingValueAndRange() {
        for (String t : List.of("0", "-1")) {
            RecipeException e = error(VALID, "distillation.temperature=" + t);
            assertThat(e.getMessage())
                    .containsIgnoringCase("temperature")
                    .contains(t)
                    .contains("> 0");
        }
    }

    @Test
    void alphaOutsideZeroToOneIsRejected() {
        for (String a : List.of("1.5", "-0.1")) {
            RecipeException e = error(VALID, "distillation.alpha=" + a);
            assertThat(e.getMessage()).containsIgnoringCase("alpha").contains(a).contains("[0, 1]");
        }
        assertThat(parse0(VALID, "distillation.alpha=0").distillation().alpha()).isZero();
        assertThat(parse0(VALID, "distillation.alpha=1").distillation().alpha()).isEqualTo(1.0);
    }

    @Test
    void mixupNeedsATeacherScoringMixedImagesAndNoHardTermAndViewsTakeTheirCount() {
        String mix = "student.training.augment={shift: 2, flip: true, mixup: 0.2}";
        assertThat(error(VALID, mix, "distillation.alpha=1").getMessage())
                .contains("mode: online or views")
                .contains("is cached");
        assertThat(parse0(VALID, mix, "distillation.mode=views", "distillation.alpha=1")
                        .distillation()
                        .mode())
                .isEqualTo("views");
        assertThat(error(VALID, mix, "distillation.mode=online", "distillation.alpha=0.9")
                        .getMessage())
                .contains("alpha: 1")
                .contains("is 0.9");
        Recipe ok = parse0(VALID, mix, "distillation.mode=online", "distillation.alpha=1");
        assertThat(ok.student().training().augment().mixup()).isEqualTo(0.2);
        assertThat(ok.student().training().augment().flip()).isTrue();
        assertThat(parse0(VALID, "distillation.mode=views").distillation().views())
                .isEqualTo(4);
        assertThat(parse0(VALID, "distillation.mode=views", "distillation.views=8")
                        .distillation()
                        .views())
                .isEqualTo(8);
        assertThat(error(VALID, "distillation.views=8").getMessage()).contains("only used with mode: views");
        assertThat(error(VALID, "distillation.mode=views", "distillation.views=0")
                        .getMessage())
                .contains("illegal views value: 0");
        assertThat(error(VALID, "student.training.augment={mixup: -1}").getMessage())
                .contains("mixup")
                .contains("[0, 100]");
    }

    @Test
    void theConsistentRecipeLoadsWithAStudentOverTwentyTimesSmallerThanItsTeacher() throws Exception {
        Recipe r =
                RecipeLoader.load(java.nio.file.Path.of("..", "recipes", "fashion-mnist-consistent.yaml"), List.of());
        assertThat(r.distillation().mode()).isEqualTo("online");
        assertThat(r.distillation().alpha()).isEqualTo(1.0);
        assertThat(r.student().training().augment()).isEqualTo(new org.distill4j.train.Augmentation(2, false, 0.2, 0));
        long teacher = imageModelParameters(r.teacher().model());
        long student = imageModelParameters(r.student().model());
        assertThat(teacher).isEqualTo(824_458);
        assertThat(student).isEqualTo(20_490);
    }

    @Test
    void thePatientTextRecipeKeepsTheDataAndTeacherAndGivesEachStudentItsSchedule() throws Exception {
        Recipe plain = RecipeLoader.load(Path.of("..", "recipes", "debian-sections.yaml"), List.of());
        Recipe patient = RecipeLoader.load(Path.of("..", "recipes", "debian-sections-patient.yaml"), List.of());
        assertThat(patient.data()).isEqualTo(plain.data());
        assertThat(patient.teacher().model()).isEqualTo(plain.teacher().model());
        assertThat(patient.student().model().toString()).contains("hidden=[64]");
        assertThat(patient.teacher().training().epochs()).isEqualTo(20);
        assertThat(patient.student().training().epochs()).isEqualTo(60);
        assertThat(patient.student().scratchTraining().epochs()).isEqualTo(20);
        // The twin has no teacher to score mixed texts: it trains on the rows as they are.
        assertThat(patient.student().scratchTraining().augment()).isEqualTo(org.distill4j.train.Augmentation.NONE);
        assertThat(patient.student().scratchTraining().learningRate())
                .isEqualTo(patient.student().training().learningRate());
        assertThat(patient.student().training().augment())
                .isEqualTo(new org.distill4j.train.Augmentation(0, false, 0.4, 0));
        assertThat(patient.distillation().mode()).isEqualTo("online");
        assertThat(patient.distillation().alpha()).isEqualTo(1.0);
        assertThat(patient.distillation().temperature()).isEqualTo(1.0);
    }

    @Test
    void theCnnBenchRecipeSharesTheBenchTeacherAndHasAStudentOverTwentyTimesSmaller() throws Exception {
        Recipe cnn = RecipeLoader.load(Path.of("..", "recipes", "bench-fashion-mnist-cnn.yaml"), List.of());
        Recipe bench = RecipeLoader.load(Path.of("..", "recipes", "bench-fashion-mnist.yaml"), List.of());
        // One teacher for both benchmarks: bench accuracy reuses OUT/teacher when this section is equal.
        assertThat(cnn.teacher()).isEqualTo(bench.teacher());
        assertThat(cnn.distillation().mode()).isEqualTo("views");
        assertThat(cnn.distillation().views()).isEqualTo(16);
        long teacher = imageModelParameters(cnn.teacher().model());
        long student = imageModelParameters(cnn.student().model());
        assertThat(teacher).isEqualTo(1_630_090);
        assertThat(student).isEqualTo(67_970);
        assertThat(teacher).isGreaterThanOrEqualTo(20 * student);
    }

    /** Parameters of a model on 28x28 grey images with 10 classes (Fashion-MNIST). */
    private static long imageModelParameters(org.distill4j.model.ModelSpec spec) {
        return org.distill4j.model.MemoryEstimate.of(spec, new long[] {1, 28, 28}, 10, 1)
                .parameters();
    }

    @Test
    void crossFitNeedsCachedOutputsOfATrainedTeacher() {
        assertThat(parse0(VALID, "distillation.cross_fit=5").distillation().crossFit())
                .isEqualTo(5);
        assertThat(parse0(VALID).distillation().crossFit()).isNull();
        assertThat(error(VALID, "distillation.cross_fit=1").getMessage()).contains("illegal cross_fit value: 1");
        assertThat(error(VALID, "distillation.cross_fit=5", "distillation.mode=online")
                        .getMessage())
                .contains("mode: cached");
    }

    @Test
    void anEnsembleTeacherIsTrainedHereAndDoesNotCombineWithCrossFitting() throws Exception {
        assertThat(parse0(VALID).teacher().ensemble()).isEqualTo(1);
        Recipe four = parse0(VALID, "teacher.ensemble=4");
        assertThat(four.teacher().ensemble()).isEqualTo(4);
        assertThat(RecipeLoader.parse(RecipeLoader.toYaml(four), "again", Path.of("."), List.of())
                        .teacher()
                        .ensemble())
                .isEqualTo(4);
        assertThat(error(VALID, "teacher.ensemble=0").getMessage())
                .contains("illegal ensemble value: 0, must be in [1, 16]");
        assertThat(error(VALID, "teacher.ensemble=17").getMessage()).contains("illegal ensemble value: 17");
        assertThat(error(VALID, "teacher.ensemble=2", "teacher.source=distill4j", "teacher.path=/m")
                        .getMessage())
                .contains("teacher.ensemble trains several teachers", "not distill4j");
        assertThat(error(VALID, "teacher.ensemble=2", "distillation.cross_fit=3")
                        .getMessage())
                .contains("does not combine with teacher.ensemble 2");
    }

    @Test
    void labelledAndTeacherSharesAreValidatedAndRoundTrip() throws Exception {
        Recipe plain = parse0(VALID);
        assertThat(plain.data().studentLabelShare()).isEqualTo(1.0);
        assertThat(plain.data().splitsTeacherRows()).isFalse();
        // Absent keys stay absent in the recipe as run, so older fingerprints are unchanged.
        assertThat(RecipeLoader.toYaml(plain)).doesNotContain("labelled_share").doesNotContain("teacher_split");
        Recipe shared = parse0(VALID, "data.labelled_share=0.1", "data.teacher_split=0.5");
        assertThat(shared.data().studentLabelShare()).isEqualTo(0.1);
        assertThat(shared.data().teacherSplit()).isEqualTo(0.5);
        Recipe again = RecipeLoader.parse(RecipeLoader.toYaml(shared), "again", Path.of("."), List.of());
        assertThat(again.data().studentLabelShare()).isEqualTo(0.1);
        assertThat(again.data().teacherSplit()).isEqualTo(0.5);
        for (String bad : List.of("0", "-0.5", "1.5")) {
            assertThat(error(VALID, "data.labelled_share=" + bad).getMessage())
                    .contains("illegal labelled_share value: " + Double.parseDouble(bad), "must be in (0, 1]");
        }
        for (String bad : List.of("0", "1", "2")) {
            assertThat(error(VALID, "data.teacher_split=" + bad).getMessage())
                    .contains("illegal teacher_split value: " + Double.parseDouble(bad), "must be in (0, 1)");
        }
        assertThat(error(VALID, "data.teacher_split=0.5", "teacher.source=distill4j", "teacher.path=/m")
                        .getMessage())
                .contains("data.teacher_split", "teacher.source is distill4j");
        assertThat(error(VALID, "data.teacher_split=0.5", "distillation.cross_fit=3")
                        .getMessage())
                .contains("does not combine");
        assertThat(error(VALID, "data.labelled_share=0.5", "distillation.cross_fit=3")
                        .getMessage())
                .contains("data.labelled_share", "cross_fit does not combine");
    }

    @Test
    void correctingTheTeacherNeedsLabelsAndNoMixing() {
        // Part of the distilled student's fingerprint: unchanged for recipes without the key.
        assertThat(parse0(VALID).distillation().toString()).doesNotContain("correct");
        assertThat(parse0(VALID, "distillation.correct_teacher=true")
                        .distillation()
                        .toString())
                .endsWith(", correctTeacher=true]");
        assertThat(parse0(VALID).distillation().parameters().correctTeacher()).isFalse();
        assertThat(parse0(VALID, "distillation.correct_teacher=true")
                        .distillation()
                        .parameters())
                .isEqualTo(new KdParameters(
                        parse0(VALID).distillation().temperature(),
                        parse0(VALID).distillation().alpha(),
                        true));
        assertThat(error(
                                VALID,
                                "distillation.correct_teacher=true",
                                "distillation.use_labels=false",
                                "distillation.alpha=1")
                        .getMessage())
                .contains("correct_teacher", "needs the labels");
        assertThat(error(
                                VALID,
                                "distillation.correct_teacher=true",
                                "distillation.mode=online",
                                "distillation.alpha=1",
                                "student.training.augment={mixup: 0.2}")
                        .getMessage())
                .contains("no label to correct the teacher with");
    }

    static Recipe parse0(String yaml, String... overrides) {
        try {
            return parse(yaml, overrides);
        } catch (RecipeException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    @Test
    void zeroWidthIsRejectedNamingKeyAndValue() {
        RecipeException e = error(VALID, "student.model.hidden=[0]");
        assertThat(e.getMessage())
                .contains("student.model")
                .contains("hidden[0]")
                .contains("0")
                .contains("[1, 65536]");
        assertThat(e.key()).startsWith("student.model");
    }

    @Test
    void unknownOptimizerNamesTheAllowedOnes() {
        RecipeException e = error(VALID, "student.training.optimizer=rmsprop");
        assertThat(e.getMessage())
                .contains("rmsprop")
                .contains("optimizer")
                .contains("adam")
                .contains("sgd");
        assertThat(e.key()).isEqualTo("student.training.optimizer");
    }

    @Test
    void missingEpochsIsReportedAsRequired() {
        RecipeException e = error(VALID.replace("training: {epochs: 3, ", "training: {"));
        assertThat(e.getMessage())
                .contains("epochs")
                .containsIgnoringCase("missing")
                .contains("student.training");
    }

    @Test
    void fractionalEpochsAreNotTruncated() {
        RecipeException e = error(VALID, "student.training.epochs=2.5");
        assertThat(e.getMessage()).contains("epochs");
    }

    @Test
    void badYamlIsReportedWithTheRecipeName() {
        RecipeException e = error("data: [unclosed\nteacher: {");
        assertThat(e.getMessage()).contains("test.yaml").contains("not valid YAML");
        assertThat(error("just a string").getMessage()).contains("mapping");
    }

    @Test
    void missingSectionIsRequired() {
        RecipeException e = error("data: {dir: x}\nteacher: {source: distill4j, path: t}\n");
        assertThat(e.getMessage()).contains("student").contains("required");
    }

    @Test
    void unknownTeacherSourceNamesTheAllowedOnes() {
        RecipeException e = error(VALID, "teacher.source=grpc");
        assertThat(e.getMessage()).contains("grpc").contains("train, distill4j, torchscript, http");
    }

    @Test
    void httpTeacherSectionIsParsedWithDefaultsAndItsKeyFileResolved() throws RecipeException {
        Recipe r = parse(
                VALID,
                "teacher.source=http",
                "teacher.http.protocol=openai",
                "teacher.http.url=http://127.0.0.1:8080",
                "teacher.http.model=m",
                "teacher.http.api_key_file=key.txt");
        Recipe.HttpSection h = r.teacher().http();
        assertThat(h.apiKeyFile()).isEqualTo(BASE.resolve("key.txt"));
        // Numbers left out stay absent: the collector's own defaults apply (RemoteTeacherTest).
        assertThat(h.topLogprobs()).isNull();
        assertThat(h.batchSize()).isNull();
        assertThat(h.output()).isEqualTo("logits");
        assertThat(h.evaluateTest()).isTrue();
    }

    @Test
    void httpTeacherUrlWithCredentialsOrQueryIsRefusedWithoutEchoingIt() {
        String[] http = {"teacher.source=http", "teacher.http.protocol=v2", "teacher.http.model=m"};
        RecipeException user = error(VALID, concat(http, "teacher.http.url=https://bob:s3cret@api.example.com/v1"));
        assertThat(user.getMessage()).contains("credentials").doesNotContain("s3cret");
        RecipeException query = error(VALID, concat(http, "teacher.http.url=https://api.example.com/?key=s3cret"));
        assertThat(query.getMessage()).contains("query").doesNotContain("s3cret");
    }

    @Test
    void httpTeacherMistakesNameTheKey() {
        String[] http = {
            "teacher.source=http", "teacher.http.protocol=v2", "teacher.http.url=http://h", "teacher.http.model=m"
        };
        assertThat(error(VALID, "teacher.source=http").getMessage()).contains("'http' is required");
        assertThat(error(VALID, "teacher.http.protocol=v2", "teacher.http.url=http://h", "teacher.http.model=m")
                        .getMessage())
                .contains("teacher.source is 'train'");
        assertThat(error(VALID, concat(http, "teacher.http.protocol=grpc")).getMessage())
                .contains("protocol")
                .contains("v2, openai");
        assertThat(error(VALID, concat(http, "teacher.http.api_key_env=K", "teacher.http.api_key_file=f"))
                        .getMessage())
                .contains("api_key_env and api_key_file");
        assertThat(error(VALID, concat(http, "distillation.mode=online")).getMessage())
                .contains("cached");
        assertThat(error(VALID, concat(http, "teacher.http.colour=red")).getMessage())
                .contains("colour");
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void missingRecipeFileNamesThePath(@TempDir Path tmp) {
        Path missing = tmp.resolve("none.yaml");
        assertThatThrownBy(() -> RecipeLoader.load(missing, List.of())).hasMessageContaining(missing.toString());
    }

    @Test
    void recipeAsRunWrittenToYamlLoadsBackUnchanged() throws Exception {
        Recipe r = parse(VALID, "student.model.hidden=[5]");
        String yaml = RecipeLoader.toYaml(r);
        assertThat(yaml)
                .contains("dir: \"/recipes/base/data/idx\"")
                .doesNotContain("file://")
                .doesNotContain("!<");
        Recipe again = RecipeLoader.parse(yaml, "as-run", null, List.of());
        assertThat(again).isEqualTo(r);
    }
}
