package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill run} with a language-model recipe ({@code data.format: text}): a tiny real run on
 * ~60 KB of the Debian descriptions, the licence gate, a corrupt cache, and a teacher whose context
 * is shorter than the window.
 */
class LmRunCommandTest {

    private static Path corpus;

    @TempDir
    Path tmp;

    @BeforeAll
    static void findCorpus() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path c = p.resolve("../shared/data/debian-descriptions/train.jsonl.gz")
                    .normalize();
            if (Files.isRegularFile(c)) {
                corpus = c;
                return;
            }
        }
    }

    private Path recipe(String name, String teacher, String variant) throws Exception {
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(f, """
                name: %s
                seed: 7
                data: {format: text, path: %s, field: text, max_bytes: 60000, validation: 0.1, test: 0.1, context: 32}
                teacher:
                %sstudent:
                  layers: 1
                  width: 16
                  heads: 2
                  training: {steps: 40, batch_size: 8, learning_rate: 0.01, warmup_steps: 5}
                distillation: {variant: %s, k: 5, alpha: 0.5, prompt_bytes: 16, max_new_tokens: 48}
                evaluation: {prompts: ["Python library for", "GNU "], sample_tokens: 12, generation_tokens: 20}
                """.formatted(name, corpus, teacher.indent(2), variant));
        return f;
    }

    /**
     * {@code distill eval} on the run's saved models and recipe: each model's bits per byte on every
     * held-out part, and the paired comparison of the students with the teacher's gap, as the run
     * reported them (to the digits printed).
     */
    private static void assertEvalReproducesTheRun(JsonNode m, Path out, Path recipe) {
        String distilled = out.resolve("student-distilled").toString();
        CliTest.Run eval = CliTest.distill(
                "eval",
                distilled,
                "--recipe",
                recipe.toString(),
                "--against",
                out.resolve("student-scratch").toString(),
                "--teacher",
                out.resolve("teacher").toString());
        assertThat(eval.code()).as(eval.err()).isZero();
        JsonNode test = m.at("/test_comparison/test");
        assertThat(eval.out())
                .contains(String.format(
                        java.util.Locale.ROOT,
                        "split:            test of %s, %,d documents, %,d bytes",
                        recipe,
                        test.get("documents").asInt(),
                        m.at("/corpus/test_bytes").asLong()))
                .contains(bits(m.at("/models/2/test_bits_per_byte")))
                .contains(bits(m.at("/models/1/test_bits_per_byte")))
                .contains(bits(m.at("/models/0/test_bits_per_byte")))
                .contains(String.format(
                        java.util.Locale.ROOT,
                        "this saves:     %.4f bits/byte",
                        test.at("/bits_per_byte_saved/difference").asDouble()))
                .contains(String.format(
                        java.util.Locale.ROOT,
                        "sign-flip test: %s; this model better on %d of",
                        org.distill4j.eval.PairedLossComparison.signFlipText(
                                test.at("/sign_flip/p_value").asDouble(),
                                test.at("/sign_flip/permutations").asLong()),
                        test.at("/sign_flip/documents_first_better").asInt()))
                .contains(
                        test.get("gap_share").isNull()
                                ? "gap to teacher: none to close"
                                : String.format(
                                        java.util.Locale.ROOT,
                                        "this closes %.1f%% of it",
                                        100 * test.at("/gap_share/difference").asDouble()));
        CliTest.Run validation =
                CliTest.distill("eval", distilled, "--recipe", recipe.toString(), "--split", "validation");
        assertThat(validation.code()).as(validation.err()).isZero();
        assertThat(validation.out())
                .contains(bits(m.at("/models/2/validation_bits_per_byte")))
                .doesNotContain("this saves");
        if (m.at("/corpus/split_overlap/test_without_near_duplicate").isObject()) {
            CliTest.Run novel = CliTest.distill(
                    "eval", distilled, "--recipe", recipe.toString(), "--split", "test_without_near_duplicate");
            assertThat(novel.code()).as(novel.err()).isZero();
            assertThat(novel.out()).contains(bits(m.at("/models/2/test_without_near_duplicate_bits_per_byte")));
        }
        CliTest.Run badSplit = CliTest.distill("eval", distilled, "--recipe", recipe.toString(), "--split", "train");
        assertThat(badSplit.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(badSplit.err()).contains("illegal split 'train'", "test_without_near_duplicate");
        CliTest.Run limit = CliTest.distill("eval", distilled, "--recipe", recipe.toString(), "--test-limit", "5");
        assertThat(limit.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(limit.err()).contains("--test-limit applies to classifiers");
    }

    private static String bits(JsonNode value) {
        return String.format(java.util.Locale.ROOT, "bits/byte:      %.4f (", value.asDouble());
    }

    private static final String TRAINED_TEACHER = """
                  layers: 1
                  width: 32
                  heads: 2
                  training: {steps: 80, batch_size: 8, learning_rate: 0.01, warmup_steps: 5}""";

    private static int run(String... args) {
        return DistillCommand.execute(args);
    }

    @Test
    void aTinyTopKRecipeRunsEndToEndAndWritesSensibleResults() throws Exception {
        assumeTrue(corpus != null, "no Debian descriptions");
        Path out = tmp.resolve("run");
        Path cache = tmp.resolve("cache");
        long t0 = System.nanoTime();
        int code = run(
                "run",
                recipe("tiny", TRAINED_TEACHER, "topk").toString(),
                "--out",
                out.toString(),
                "--cache-dir",
                cache.toString(),
                "--acknowledge-unknown-terms");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(code).isZero();
        assertThat(seconds).isLessThan(60);
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        double unigramTest = m.at("/unigram/test_bits_per_byte").asDouble();
        assertThat(unigramTest).isBetween(3.5, 6.0);
        JsonNode models = m.get("models");
        assertThat(models).hasSize(3);
        JsonNode teacher = models.get(0);
        JsonNode scratch = models.get(1);
        JsonNode distilled = models.get(2);
        assertThat(distilled.get("model").asText()).isEqualTo("student-distilled");
        for (JsonNode r : models) {
            for (String key : new String[] {
                "validation_bits_per_byte",
                "test_bits_per_byte",
                "validation_perplexity",
                "test_perplexity",
                "generation_tokens_per_second",
                "generation_ms_per_token",
                "generation_djl_tokens_per_second"
            }) {
                assertThat(r.get(key).isNumber()).as(r.get("model") + " " + key).isTrue();
                assertThat(Double.isFinite(r.get(key).asDouble()) && r.get(key).asDouble() > 0)
                        .as(key)
                        .isTrue();
            }
            // Perplexity is per token (BOS/EOS targets included), bits per byte over bytes only: close, not equal.
            assertThat(r.get("test_perplexity").asDouble())
                    .isBetween(
                            Math.pow(2, 0.8 * r.get("test_bits_per_byte").asDouble()),
                            Math.pow(2, 1.2 * r.get("test_bits_per_byte").asDouble()));
            assertThat(r.get("samples").size()).isEqualTo(2);
            assertThat(r.get("generation_engine").asText()).isEqualTo("jvm");
        }
        assertThat(teacher.get("test_bits_per_byte").asDouble()).isLessThan(unigramTest - 0.2);
        assertThat(distilled.get("test_bits_per_byte").asDouble()).isLessThanOrEqualTo(unigramTest);
        assertThat(distilled.get("training_tokens").asLong())
                .isEqualTo(scratch.get("training_tokens").asLong())
                .isEqualTo(40L * 8 * 32);
        assertThat(distilled.get("top1_agreement_with_teacher").asDouble()).isBetween(0.05, 1.0);
        assertThat(teacher.get("history").size()).isEqualTo(80);
        assertThat(Files.readString(out.resolve("results.md")))
                .contains("unigram baseline", "student-distilled", "top-1 agreement");
        assertThat(Files.readString(out.resolve("report.html"))).contains("<svg", "<polyline", "student-scratch");
        assertEvalReproducesTheRun(m, out, recipe("tiny", TRAINED_TEACHER, "topk"));
        // Provenance and model card of the distilled student.
        JsonNode prov = new ObjectMapper()
                .readTree(out.resolve("student-distilled/provenance.json").toFile());
        assertThat(prov.at("/training/corpus/sha256").asText()).hasSize(64);
        assertThat(prov.at("/training/corpus/train_sha256").asText()).hasSize(64);
        assertThat(prov.at("/training/tokenizer").asText()).startsWith("byte/v1");
        assertThat(prov.at("/training/distillation/variant").asText()).isEqualTo("topk");
        assertThat(prov.at("/training/distillation/k").asInt()).isEqualTo(5);
        assertThat(prov.at("/label_collection/source").asText()).isEqualTo("in-process teacher");
        assertThat(prov.at("/label_collection/cache_key").asText()).contains("k=5", "window=32");
        assertThat(prov.at("/terms/outcome").asText()).isNotEmpty();
        assertThat(Files.readString(out.resolve("student-distilled/MODEL_CARD.md")))
                .contains("Teacher: trained in this run");
        assertThat(out.resolve("student-distilled/model.json")).exists();
        // Every model's manifest is the classifiers' format: distill provenance reads and verifies it.
        for (String model : new String[] {"teacher", "student-scratch", "student-distilled"}) {
            assertThat(run("provenance", "verify", out.resolve(model).toString()))
                    .as("provenance verify %s", model)
                    .isZero();
        }
        assertThat(prov.at("/model/role").asText()).isEqualTo("student_distilled");
        assertThat(prov.at("/teacher/kind").asText()).isEqualTo("distill4j-lm");
        assertThat(prov.at("/datasets/3/role").asText()).isEqualTo("transfer");
        assertThat(prov.at("/files").has("MODEL_CARD.md")).isTrue();
        assertThat(prov.at("/files").has("model-0000.params")).isTrue();
        // And signing: the distilled student signed, then verified with the public key.
        String key = out.resolve("signing.pem").toString();
        String pub = out.resolve("signing.pub.pem").toString();
        assertThat(run("provenance", "keygen", "--private", key, "--public", pub))
                .isZero();
        assertThat(run("provenance", "sign", out.resolve("student-distilled").toString(), "--key", key))
                .isZero();
        assertThat(run("provenance", "verify", out.resolve("student-distilled").toString(), "--key", pub))
                .as("a signed language model verifies against its signature and its provenance")
                .isZero();
        Files.writeString(
                out.resolve("student-scratch/MODEL_CARD.md"), "edited", java.nio.file.StandardOpenOption.APPEND);
        assertThat(run("provenance", "verify", out.resolve("student-scratch").toString()))
                .as("a changed card is found")
                .isEqualTo(ExitCodes.TAMPERED);

        // A second run over the same cache reuses it; a corrupt cache is refused, naming the file.
        Path cached;
        try (Stream<Path> s = Files.list(cache)) {
            cached = s.filter(p -> p.getFileName().toString().startsWith("lm-topk-"))
                    .findFirst()
                    .orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(cached);
        Files.write(cached, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true));
        try {
            code = run(
                    "run",
                    recipe("tiny", TRAINED_TEACHER, "topk").toString(),
                    "--out",
                    tmp.resolve("run2").toString(),
                    "--cache-dir",
                    cache.toString(),
                    "--acknowledge-unknown-terms");
        } finally {
            System.setErr(old);
        }
        assertThat(code).isEqualTo(ExitCodes.DATA);
        assertThat(err.toString()).contains(cached.getFileName().toString(), "delete");
        assertThat(tmp.resolve("run2/metrics.json")).doesNotExist();
    }

    @Test
    void theGateRefusesAnApiTeacherUnderOpenAiTermsBeforeAnythingRuns() throws Exception {
        assumeTrue(corpus != null, "no Debian descriptions");
        String http = """
                  http: {url: "http://127.0.0.1:9/v1", model: teacher}
                  terms: openai-api""";
        Path out = tmp.resolve("refused");
        assertThat(run("run", recipe("api", http, "topk").toString(), "--out", out.toString()))
                .isEqualTo(ExitCodes.REFUSED);
        assertThat(out).doesNotExist();
        // Unknown terms are refused too, unless acknowledged.
        assertThat(run("run", recipe("own", TRAINED_TEACHER, "topk").toString(), "--out", out.toString()))
                .isEqualTo(ExitCodes.REFUSED);
        assertThat(out).doesNotExist();
    }

    @Test
    void aTeacherWithAShorterContextRefusesTokenLevelKdButSequenceLevelWorks() throws Exception {
        assumeTrue(corpus != null, "no Debian descriptions");
        Path teacherDir = tmp.resolve("short-teacher");
        try (LanguageModel lm = LanguageModel.create(
                new DecoderConfig(258, 1, 32, 2, 16, 0.0, Positions.ROTARY, false), ByteTokenizer.INSTANCE, 3)) {
            lm.save(teacherDir);
        }
        String saved = "path: " + teacherDir + "\nterms: mit";
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true));
        int code;
        try {
            code = run(
                    "run",
                    recipe("short", saved, "full").toString(),
                    "--out",
                    tmp.resolve("full").toString());
        } finally {
            System.setErr(old);
        }
        assertThat(code).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("teacher context 16 is shorter than the window 32");

        Path out = tmp.resolve("seq");
        assertThat(run("run", recipe("short", saved, "sequence").toString(), "--out", out.toString()))
                .isZero();
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertThat(m.at("/models/0/evaluation_window").asInt()).isEqualTo(16);
        assertThat(m.at("/models/0/top1_agreement_with_teacher").isNull()).isTrue();
        assertThat(m.at("/models/2/training_tokens").asLong())
                .isEqualTo(m.at("/models/1/training_tokens").asLong());
        JsonNode prov = new ObjectMapper()
                .readTree(out.resolve("student-distilled/provenance.json").toFile());
        assertThat(prov.at("/training/distillation/variant").asText()).isEqualTo("sequence");
        assertThat(prov.at("/label_collection/documents").asInt()).isPositive();
        assertThat(Files.readString(out.resolve("student-distilled/MODEL_CARD.md")))
                .contains("saved language model " + teacherDir);
    }

    @Test
    void evaluationScratchFalseTrainsOnlyTheDistilledStudent() throws Exception {
        assumeTrue(corpus != null, "no Debian descriptions");
        Path teacherDir = tmp.resolve("saved-teacher");
        try (LanguageModel lm = LanguageModel.create(
                new DecoderConfig(258, 1, 32, 2, 32, 0.0, Positions.ROTARY, false), ByteTokenizer.INSTANCE, 3)) {
            lm.save(teacherDir);
        }
        Path out = tmp.resolve("no-scratch");
        assertThat(run(
                        "run",
                        recipe("noscratch", "path: " + teacherDir + "\nterms: mit", "full")
                                .toString(),
                        "--set",
                        "evaluation.scratch=false",
                        "--out",
                        out.toString()))
                .isZero();
        JsonNode models = new ObjectMapper()
                .readTree(out.resolve("metrics.json").toFile())
                .get("models");
        assertThat(models).hasSize(2);
        assertThat(models.get(0).get("model").asText()).isEqualTo("teacher");
        assertThat(models.get(1).get("model").asText()).isEqualTo("student-distilled");
        assertThat(models.get(1).get("training_tokens").asLong()).isEqualTo(40L * 8 * 32);
        assertThat(out.resolve("student-scratch")).doesNotExist();
        assertThat(out.resolve("student-distilled/model.json")).exists();
        assertThat(Files.readString(out.resolve("results.md"))).doesNotContain("student-scratch");
    }

    @Test
    void badRecipesNameTheKey() throws Exception {
        assumeTrue(corpus != null, "no Debian descriptions");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true));
        try {
            assertThat(run("run", recipe("bad", TRAINED_TEACHER, "topk").toString(), "--set", "distillation.k=50"))
                    .isEqualTo(ExitCodes.USAGE);
            assertThat(run("run", recipe("bad", TRAINED_TEACHER, "nope").toString()))
                    .isEqualTo(ExitCodes.USAGE);
        } finally {
            System.setErr(old);
        }
        assertThat(err.toString())
                .contains(
                        "distillation.k must be in [1, 20], got 50",
                        "distillation.variant must be one of full, topk, sampled, sequence, got nope");
    }

    @Test
    void demoLmRunsTheBundledRecipeShrunk() throws Exception {
        assumeTrue(corpus != null, "no Debian descriptions");
        assertThat(run("demo", "--lm", "--quick", "--print-recipe")).isZero();
        Path out = tmp.resolve("demo");
        int code = run(
                "demo",
                "--lm",
                "--quick",
                "--set",
                "data.path=" + corpus,
                "--set",
                "data.max_bytes=40000",
                "--set",
                "teacher.training.steps=5",
                "--set",
                "student.training.steps=3",
                "--out",
                out.toString());
        assertThat(code).isZero();
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertThat(m.get("name").asText()).isEqualTo("lm-debian-quick");
        assertThat(m.at("/distillation/k").asInt()).isEqualTo(20);
        assertThat(m.at("/terms/reason").asText()).containsIgnoringCase("acknowledged");
        assertThat(out.resolve("report.html")).exists();
    }
}
