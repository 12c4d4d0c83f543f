package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.distill4j.lm.experiment.LmExperiment;
import org.distill4j.lm.experiment.LmRecipe;
import org.distill4j.lm.model.LanguageModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11.6 and 11.9 over the loop: an LM recipe whose teacher is an OpenAI-compatible server. A
 * served distill4j model gives a full top-k run; a server answering fewer than k log-probabilities is
 * used as it is (counted in the provenance, nothing invented); one answering none fails at once,
 * without retries.
 */
class LmExperimentHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    private static Path corpus;

    @BeforeAll
    static void writeCorpus() throws IOException {
        String[] words = {"the", "cat", "sat", "on", "mat", "dog", "ate", "bone", "sun", "is", "hot", "sea", "blue"};
        StringBuilder sb = new StringBuilder();
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int d = 0; d < 120; d++) {
            StringBuilder doc = new StringBuilder();
            for (int w = 0; w < 12 + r.nextInt(20); w++) {
                doc.append(w == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            sb.append(JSON.writeValueAsString(java.util.Map.of("text", doc + ".")))
                    .append('\n');
        }
        corpus = tmp.resolve("corpus.jsonl");
        Files.writeString(corpus, sb.toString());
    }

    private static LmRecipe recipe(String url, int k) throws Exception {
        return recipe(url, k, List.of());
    }

    /** The top-k recipe with {@code --set} overrides. */
    private static LmRecipe recipe(String url, int k, List<String> overrides) throws Exception {
        String yaml = """
                name: http-run
                seed: 3
                data: {format: text, path: %s, validation: 0.1, test: 0.1, context: 32}
                teacher:
                  http: {url: "%s", model: teacher, concurrency: 2}
                  terms: mit
                student:
                  layers: 1
                  width: 16
                  heads: 2
                  training: {steps: 30, batch_size: 8, learning_rate: 0.01, warmup_steps: 5}
                distillation: {variant: topk, k: %d, alpha: 0.5}
                evaluation: {prompts: ["the cat"], sample_tokens: 8, generation_tokens: 10}
                """.formatted(corpus, url, k);
        return LmRecipe.parse(yaml, "test", tmp, overrides);
    }

    /** {@code distill serve}'s server for the language model in {@code dir}, named teacher, on a free port. */
    private static ModelServer serve(Path dir) throws Exception {
        return ModelServer.builder()
                .optPort(0)
                .addLanguageModel(ServedLanguageModel.load("teacher", dir))
                .build()
                .start();
    }

    private static JsonNode provenance(Path out) throws IOException {
        return JSON.readTree(out.resolve("student-distilled/provenance.json").toFile());
    }

    @Test
    void aServedTeacherIsDistilledThroughTheCompletionsApi() throws Exception {
        Path dir = TestLms.tiny(tmp.resolve("tiny"));
        Path out = tmp.resolve("served");
        LmRecipe recipe;
        try (ModelServer server = serve(dir)) {
            recipe = recipe(server.baseUri().resolve("/v1").toString(), 5);
            new LmExperiment(
                            recipe,
                            out,
                            new LmExperiment.Options(null, null, false),
                            new PrintStream(new ByteArrayOutputStream()))
                    .run();
        }
        JsonNode m = JSON.readTree(out.resolve("metrics.json").toFile());
        // The served teacher, evaluated over its API, scores what the same model scores in-process.
        var corpus = org.distill4j.lm.experiment.LmTrainingCorpus.read(recipe);
        var split = corpus.split();
        var tok = corpus.tokenizer();
        var val = org.distill4j.lm.corpus.TokenWindows.pack(split.validation(), tok, 32);
        var test = org.distill4j.lm.corpus.TokenWindows.pack(split.test(), tok, 32);
        try (LanguageModel teacher = LanguageModel.load(dir);
                LanguageModel student = LanguageModel.load(out.resolve("student-distilled"))) {
            double inProcess =
                    org.distill4j.lm.train.Evaluation.of(teacher, test, 16).bitsPerByte();
            assertThat(m.at("/models/0/test_bits_per_byte").asDouble()).isCloseTo(inProcess, within(1e-5 * inProcess));
            double inProcessVal =
                    org.distill4j.lm.train.Evaluation.of(teacher, val, 16).bitsPerByte();
            assertThat(m.at("/models/0/validation_bits_per_byte").asDouble())
                    .isCloseTo(inProcessVal, within(1e-5 * inProcessVal));
            assertThat(m.at("/models/0/evaluation_requests").asLong()).isEqualTo(val.size() + test.size());
            // Top-1 agreement from the served answers, as it is computed against the model itself.
            long same = 0;
            long total = 0;
            for (int w = 0; w < test.size(); w++) {
                int[] in = test.input(w);
                int[] target = test.target(w);
                float[][] a = logitsByPosition(student, in);
                float[][] b = logitsByPosition(teacher, in);
                for (int p = 0; p < target.length; p++) {
                    if (target[p] >= 0) {
                        total++;
                        same += argmax(a[p]) == argmax(b[p]) ? 1 : 0;
                    }
                }
            }
            assertThat(m.at("/models/2/top1_agreement_with_teacher").asDouble())
                    .isCloseTo((double) same / total, within(0.01));
        }
        assertThat(m.at("/models/0/description").asText()).contains("OpenAI-compatible server");
        assertThat(m.at("/models/2/test_bits_per_byte").asDouble())
                .isLessThan(m.at("/unigram/test_bits_per_byte").asDouble());
        JsonNode p = provenance(out);
        assertThat(p.at("/label_collection/source").asText()).startsWith("http ");
        assertThat(p.at("/label_collection/short_positions").asLong()).isZero();
        assertThat(p.at("/label_collection/requests").asInt()).isPositive();
        assertThat(Files.readString(out.resolve("results.md"))).contains("teacher (over HTTP)");
        assertThat(out.resolve("checkpoints"))
                .as("checkpoints are deleted once the models are saved")
                .doesNotExist();
        assertThat(Files.readString(out.resolve("student-distilled/MODEL_CARD.md")))
                .contains("Teacher: OpenAI-compatible server");
    }

    @Test
    void theTestDocumentsWithoutANearDuplicateAreScoredOverTheApiTooAndOnlyOnce() throws Exception {
        // Half the documents come in families of three near copies (one word changed), so that the
        // test split has documents that repeat training text and documents that do not.
        String[] words = {"the", "cat", "sat", "on", "mat", "dog", "ate", "bone", "sun", "is", "hot", "sea", "blue"};
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        StringBuilder sb = new StringBuilder();
        for (int d = 0; d < 80; d++) {
            String[] doc = new String[24];
            for (int w = 0; w < doc.length; w++) {
                doc[w] = words[r.nextInt(words.length)];
            }
            for (int copy = 0; copy < (d % 2 == 0 ? 3 : 1); copy++) {
                doc[23] = "copy" + copy;
                sb.append(JSON.writeValueAsString(java.util.Map.of("text", String.join(" ", doc) + ".")))
                        .append('\n');
            }
        }
        Path families = tmp.resolve("families.jsonl");
        Files.writeString(families, sb.toString());
        Path dir = TestLms.tiny(tmp.resolve("tiny-families"));
        Path out = tmp.resolve("families");
        // The corpus and its split do not depend on the server's address.
        LmRecipe recipe = recipe("http://127.0.0.1:9/v1", 5, List.of("data.path=" + families));
        var read = org.distill4j.lm.experiment.LmTrainingCorpus.read(recipe);
        var test = read.split().test();
        var check = org.distill4j.lm.corpus.SplitOverlap.of(
                test.stream().map(org.distill4j.lm.corpus.Document::text).toList());
        read.split().train().forEach(d -> check.accept(d.text()));
        var novelDocs = java.util.Arrays.stream(check.withoutNearDuplicate())
                .mapToObj(test::get)
                .toList();
        assertThat(check.result().nearDuplicates()).isPositive();
        assertThat(novelDocs).isNotEmpty();
        var tok = read.tokenizer();
        var novel = org.distill4j.lm.corpus.TokenWindows.pack(novelDocs, tok, 32);
        long windows = org.distill4j.lm.corpus.TokenWindows.pack(read.split().validation(), tok, 32)
                        .size()
                + org.distill4j.lm.corpus.TokenWindows.pack(test, tok, 32).size()
                + novel.size();
        try (ModelServer server = serve(dir)) {
            LmRecipe served = recipe(
                    server.baseUri().resolve("/v1").toString(),
                    5,
                    List.of("data.path=" + families, "student.training.steps=5"));
            for (int run = 0; run < 2; run++) {
                new LmExperiment(
                                served,
                                out,
                                new LmExperiment.Options(null, null, false),
                                new PrintStream(new ByteArrayOutputStream()))
                        .run();
                // One echo request per validation, test and novel window; a rerun reads them from the cache.
                assertThat(JSON.readTree(out.resolve("metrics.json").toFile())
                                .at("/models/0/evaluation_requests")
                                .asLong())
                        .as("run " + run)
                        .isEqualTo(run == 0 ? windows : 0);
            }
        }
        JsonNode m = JSON.readTree(out.resolve("metrics.json").toFile());
        assertThat(m.at("/corpus/split_overlap/test_without_near_duplicate/documents")
                        .asInt())
                .isEqualTo(novelDocs.size());
        try (LanguageModel teacher = LanguageModel.load(dir)) {
            double inProcess =
                    org.distill4j.lm.train.Evaluation.of(teacher, novel, 16).bitsPerByte();
            assertThat(m.at("/models/0/" + LmExperiment.NOVEL_BITS).asDouble())
                    .isCloseTo(inProcess, within(1e-5 * inProcess));
        }
        assertThat(m.at("/models/1/" + LmExperiment.NOVEL_BITS).isNumber()).isTrue();
        assertThat(m.at("/models/2/" + LmExperiment.NOVEL_BITS).isNumber()).isTrue();
        assertThat(Files.readString(out.resolve("results.md"))).contains("test documents without one");
    }

    /** Per position of one window, the model's logits ((T, V) rows). */
    private static float[][] logitsByPosition(LanguageModel lm, int[] input) {
        try (var m = lm.model().getNDManager().newSubManager()) {
            long[] ids = java.util.Arrays.stream(input).asLongStream().toArray();
            var logits = lm.logits(m.create(ids, new ai.djl.ndarray.types.Shape(1, input.length)));
            int v = (int) logits.getShape().get(2);
            float[] flat = logits.toFloatArray();
            float[][] rows = new float[input.length][];
            for (int p = 0; p < input.length; p++) {
                rows[p] = java.util.Arrays.copyOfRange(flat, p * v, (p + 1) * v);
            }
            return rows;
        }
    }

    private static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void aServedBpeTeachersTopKReachesABpeStudentAndAByteServerIsRefused() throws Exception {
        // The teacher: trained in a first run with a BPE learnt from the corpus's training split.
        String bpe = "data.tokenizer={type: bpe, vocab_size: 300}";
        Path first = tmp.resolve("bpe-teacher");
        new LmExperiment(
                        recipe(
                                "http://unused/v1",
                                5,
                                List.of(
                                        bpe,
                                        "teacher={layers: 1, width: 32, heads: 2, terms: mit,"
                                                + " training: {steps: 40, batch_size: 8, learning_rate: 0.01}}",
                                        "distillation.variant=full")),
                        first,
                        new LmExperiment.Options(null, null, false),
                        new PrintStream(new ByteArrayOutputStream()))
                .run();
        String identity = JSON.readTree(first.resolve("metrics.json").toFile())
                .get("tokenizer")
                .asText();
        assertThat(identity).startsWith("bpe/v1(vocab=29"); // 13 words: the corpus runs out of pairs before 300
        Path out = tmp.resolve("bpe-served");
        try (ModelServer server = serve(first.resolve("teacher"))) {
            new LmExperiment(
                            recipe(server.baseUri().resolve("/v1").toString(), 5, List.of(bpe)),
                            out,
                            new LmExperiment.Options(null, null, false),
                            new PrintStream(new ByteArrayOutputStream()))
                    .run();
        }
        JsonNode m = JSON.readTree(out.resolve("metrics.json").toFile());
        assertThat(m.get("tokenizer").asText()).isEqualTo(identity);
        JsonNode p = provenance(out);
        assertThat(p.at("/label_collection/short_positions").asLong()).isZero();
        assertThat(p.at("/label_collection/unmapped_tokens").asLong()).isZero();
        assertThat(p.at("/label_collection/requests").asInt()).isPositive();
        assertThat(m.at("/models/2/test_bits_per_byte").asDouble())
                .isLessThan(m.at("/unigram/test_bits_per_byte").asDouble());

        // A byte-level server cannot take the student's BPE ids: refused at the first request, by name.
        Path tiny = TestLms.tiny(tmp.resolve("tiny-byte"));
        try (ModelServer server = serve(tiny)) {
            assertThatThrownBy(() -> new LmExperiment(
                                    recipe(server.baseUri().resolve("/v1").toString(), 5, List.of(bpe)),
                                    tmp.resolve("bpe-vs-byte"),
                                    new LmExperiment.Options(null, null, false),
                                    new PrintStream(new ByteArrayOutputStream()))
                            .run())
                    .hasMessageContaining("is not a token id in [0, 258)")
                    .hasMessageContaining("data.tokenizer")
                    .hasMessageNotContaining("context");
        }
    }

    @Test
    void sequenceLevelKdOverHttpTrainsOnTheServedTeachersTextAndARerunAsksNothing() throws Exception {
        Path dir = TestLms.tiny(tmp.resolve("tiny-seq"));
        Path cache = tmp.resolve("seq-cache");
        Path first = tmp.resolve("seq-1");
        Path second = tmp.resolve("seq-2");
        try (ModelServer server = serve(dir)) {
            String yaml = """
                    name: http-seq
                    seed: 3
                    data: {format: text, path: %s, validation: 0.1, test: 0.1, context: 32}
                    teacher:
                      http: {url: "%s", model: teacher, concurrency: 3}
                      terms: mit
                    student:
                      layers: 1
                      width: 16
                      heads: 2
                      training: {steps: 20, batch_size: 4, learning_rate: 0.01, warmup_steps: 5}
                    distillation: {variant: sequence, prompt_bytes: 8, max_new_tokens: 24}
                    evaluation: {prompts: ["the cat"], sample_tokens: 8, generation_tokens: 10}
                    """.formatted(corpus, server.baseUri().resolve("/v1"));
            LmRecipe recipe = LmRecipe.parse(yaml, "test", tmp, List.of());
            for (Path out : List.of(first, second)) {
                new LmExperiment(
                                recipe,
                                out,
                                new LmExperiment.Options(cache, null, false),
                                new PrintStream(new ByteArrayOutputStream()))
                        .run();
            }
        }
        JsonNode p = provenance(first).get("label_collection");
        assertThat(p.get("source").asText()).startsWith("http ").contains("/v1/completions");
        int documents = p.get("documents").asInt();
        assertThat(documents).isPositive();
        assertThat(p.get("requests").asLong()).isEqualTo(documents);
        assertThat(p.get("from_journal").asInt()).isZero();
        // Until the text holds the student's training tokens (20 steps x 4 x 32).
        assertThat(p.get("tokens").asLong()).isGreaterThanOrEqualTo(2560);
        assertThat(p.get("completion_tokens").asLong()).isBetween((long) documents, documents * 24L);
        JsonNode again = provenance(second).get("label_collection");
        assertThat(again.get("requests").asLong()).as("a rerun asks nothing").isZero();
        assertThat(again.get("from_journal").asInt()).isEqualTo(documents);
        assertThat(again.get("sha256").asText()).isEqualTo(p.get("sha256").asText());
        JsonNode m = JSON.readTree(first.resolve("metrics.json").toFile());
        assertThat(m.at("/distillation/variant").asText()).isEqualTo("sequence");
        assertThat(m.at("/models/2/model").asText()).isEqualTo("student-distilled");
        assertThat(Double.isFinite(m.at("/models/2/test_bits_per_byte").asDouble()))
                .isTrue();
        assertThat(Files.readString(first.resolve("student-distilled/MODEL_CARD.md")))
                .contains("Teacher: OpenAI-compatible server");
    }

    @Test
    void teacherTextJoinsTheTransferSetAndItsTopKComeOverTheSameApi() throws Exception {
        Path dir = TestLms.tiny(tmp.resolve("tiny-text"));
        Path cache = tmp.resolve("text-cache");
        Path first = tmp.resolve("text-1");
        Path second = tmp.resolve("text-2");
        long served;
        try (ModelServer server = serve(dir)) {
            LmRecipe recipe = recipe(
                    server.baseUri().resolve("/v1").toString(),
                    3,
                    List.of(
                            "data.student_share=0.1",
                            "student.training.steps=10",
                            "student.training.batch_size=4",
                            "distillation.prompt_bytes=8",
                            "distillation.max_new_tokens=24",
                            "distillation.teacher_text_tokens=1500",
                            "evaluation.scratch=false"));
            new LmExperiment(
                            recipe,
                            first,
                            new LmExperiment.Options(cache, null, false),
                            new PrintStream(new ByteArrayOutputStream()))
                    .run();
            served = server.stats("teacher").requests();
            new LmExperiment(
                            recipe,
                            second,
                            new LmExperiment.Options(cache, null, false),
                            new PrintStream(new ByteArrayOutputStream()))
                    .run();
            assertThat(server.stats("teacher").requests())
                    .as("a rerun reads the top-k cache and the teacher's evaluation: no scoring request")
                    .isEqualTo(served);
        }
        JsonNode rerun = JSON.readTree(second.resolve("metrics.json").toFile());
        assertThat(rerun.at("/models/0/evaluation_requests").asLong()).isZero();
        assertThat(rerun.at("/models/0/test_bits_per_byte").asDouble())
                .isEqualTo(JSON.readTree(first.resolve("metrics.json").toFile())
                        .at("/models/0/test_bits_per_byte")
                        .asDouble());
        assertThat(rerun.at("/models/1/top1_agreement_with_teacher").isNumber()).isTrue();
        JsonNode m = JSON.readTree(first.resolve("metrics.json").toFile());
        JsonNode c = provenance(first).get("label_collection");
        JsonNode text = c.get("teacher_text");
        int prompts = m.at("/corpus/student_documents").asInt();
        // About 12 students' documents, each continued by at most 24 tokens: 1,500 tokens need several rounds.
        assertThat(text.get("prompt_documents").asInt()).isEqualTo(prompts);
        assertThat(text.get("documents").asInt()).isGreaterThan(2 * prompts);
        assertThat(text.get("tokens").asLong()).isGreaterThanOrEqualTo(1500);
        assertThat(text.get("requests").asLong())
                .isEqualTo(text.get("documents").asLong());
        // The top-k collection covered the whole transfer set: the students' windows and the text's.
        long studentWindows = (m.at("/corpus/train_tokens").asLong() + 31) / 32;
        assertThat(text.get("transfer_windows").asInt()).isGreaterThan((int) studentWindows);
        assertThat(c.get("windows").asInt())
                .isEqualTo(text.get("transfer_windows").asInt());
        assertThat(c.get("source").asText()).startsWith("http ");
        assertThat(m.at("/distillation/teacher_text_tokens").asLong()).isEqualTo(1500);
        JsonNode again = provenance(second).get("label_collection");
        assertThat(again.get("source").asText()).isEqualTo("reused cache");
        assertThat(again.at("/teacher_text/sha256").asText())
                .isEqualTo(text.get("sha256").asText());
        assertThat(again.at("/teacher_text/requests").asLong())
                .as("a rerun reads the text from the journal")
                .isZero();
        assertThat(again.at("/teacher_text/from_journal").asInt())
                .isEqualTo(text.get("documents").asInt());
    }

    @Test
    void fewerThanKLogProbabilitiesAreUsedAsTheyAreAndCounted() throws Exception {
        Path out = tmp.resolve("short");
        runAgainstFake(2, out, List.of());
        JsonNode p = provenance(out);
        long positions = JSON.readTree(out.resolve("metrics.json").toFile())
                .at("/corpus/train_tokens")
                .asLong();
        // Every position had 2 of the 5 asked for (the last window's padding positions aside).
        assertThat(p.at("/label_collection/short_positions").asLong()).isBetween(positions - 32, positions);
        assertThat(p.at("/label_collection/unmapped_tokens").asLong()).isZero();
        JsonNode metrics = JSON.readTree(out.resolve("metrics.json").toFile());
        assertThat(Double.isFinite(metrics.at("/models/2/test_bits_per_byte").asDouble()))
                .isTrue();
        // The fake gives every real next token -0.5 nats: over HTTP the teacher's test bits/byte are
        // exactly 0.5 per target token, every target counted once (the last window's included).
        double expected = 0.5
                * metrics.at("/corpus/test_tokens").asLong()
                / Math.log(2)
                / metrics.at("/corpus/test_bytes").asLong();
        assertThat(metrics.at("/models/0/test_bits_per_byte").asDouble()).isCloseTo(expected, within(1e-9));
    }

    @Test
    void anHttpTeacherLeftUnevaluatedIsAskedOnlyForTheTrainingWindows() throws Exception {
        Path out = tmp.resolve("unevaluated");
        int calls = runAgainstFake(5, out, List.of("evaluation.http_teacher=false"));
        JsonNode m = JSON.readTree(out.resolve("metrics.json").toFile());
        // Every request collected training top-k: none evaluated the teacher on validation or test.
        assertThat(calls)
                .isEqualTo(provenance(out).at("/label_collection/requests").asInt());
        JsonNode teacher = m.at("/models/0");
        assertThat(teacher.path("test_bits_per_byte").isNull()
                        || teacher.path("test_bits_per_byte").isMissingNode())
                .as("teacher row: %s", teacher)
                .isTrue();
        assertThat(teacher.has("evaluation_requests")).isFalse();
        assertThat(m.at("/models/2/test_bits_per_byte").asDouble()).isPositive();
        String results = Files.readString(out.resolve("results.md"));
        assertThat(results).doesNotContain("teacher (over HTTP)").doesNotContain("NaN");
    }

    /**
     * Runs the top-k recipe (k = 5, with {@code overrides}) into {@code out} against {@link #fake}
     * giving {@code perRow} alternatives a position; returns the requests it answered.
     */
    private static int runAgainstFake(int perRow, Path out, List<String> overrides) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer fake = fake(calls, perRow);
        try {
            new LmExperiment(
                            recipe("http://127.0.0.1:" + fake.getAddress().getPort() + "/v1", 5, overrides),
                            out,
                            new LmExperiment.Options(null, null, false),
                            new PrintStream(new ByteArrayOutputStream()))
                    .run();
        } finally {
            fake.stop(0);
        }
        return calls.get();
    }

    @Test
    void noLogProbabilitiesFailAtOnceWithoutRetries() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer fake = fake(calls, 0);
        Path out = tmp.resolve("none");
        try {
            assertThatThrownBy(() -> new LmExperiment(
                                    recipe(
                                            "http://127.0.0.1:"
                                                    + fake.getAddress().getPort() + "/v1",
                                            5),
                                    out,
                                    new LmExperiment.Options(null, null, false),
                                    new PrintStream(new ByteArrayOutputStream()))
                            .run())
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("without log-probabilities")
                    .hasMessageContaining("not retried")
                    .hasMessageContaining("variant: sequence");
        } finally {
            fake.stop(0);
        }
        // Not retried: no window was asked twice. Failing fast: the two workers (concurrency 2) may
        // each have one more request on the wire before the first failure stops them, no more.
        assertThat(PROMPTS).as("windows asked").doesNotHaveDuplicates();
        assertThat(calls.get()).as("requests before the collection stopped").isLessThanOrEqualTo(4);
        assertThat(out.resolve("metrics.json")).doesNotExist();
        assertThat(out.resolve("student-distilled")).doesNotExist();
    }

    /**
     * An OpenAI-style completions endpoint on loopback that echoes the prompt with {@code perRow}
     * alternatives per position (the true next token and others), or with {@code "logprobs": null}
     * when {@code perRow} is 0.
     */
    /** The prompts the fake teacher was asked, in arrival order. */
    private static final java.util.Queue<String> PROMPTS = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private static HttpServer fake(AtomicInteger calls, int perRow) throws IOException {
        PROMPTS.clear();
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/v1/completions", ex -> {
            calls.incrementAndGet();
            JsonNode req = JSON.readTree(ex.getRequestBody());
            PROMPTS.add(req.get("prompt").toString());
            ObjectNode answer = JSON.createObjectNode();
            ObjectNode choice = answer.putArray("choices").addObject();
            choice.put("text", "");
            if (perRow == 0) {
                choice.putNull("logprobs");
            } else {
                ObjectNode lp = choice.putObject("logprobs");
                ArrayNode tokens = lp.putArray("tokens");
                ArrayNode tokenLp = lp.putArray("token_logprobs");
                ArrayNode top = lp.putArray("top_logprobs");
                JsonNode prompt = req.get("prompt");
                for (int i = 0; i < prompt.size(); i++) {
                    int id = prompt.get(i).asInt();
                    tokens.add(token(id));
                    if (i == 0) {
                        tokenLp.addNull();
                        top.addNull();
                        continue;
                    }
                    tokenLp.add(-0.5);
                    ObjectNode row = top.addObject();
                    row.put(token(id), -0.5);
                    for (int j = 1; j < perRow; j++) {
                        int other = "etaoin".charAt(j - 1) == id ? 'z' : "etaoin".charAt(j - 1);
                        row.put(token(other), -2.0 - j);
                    }
                }
            }
            answer.putObject("usage").put("total_tokens", req.get("prompt").size());
            byte[] body = JSON.writeValueAsBytes(answer);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        s.start();
        return s;
    }

    private static String token(int id) {
        if (id == 256) {
            return "<|bos|>";
        }
        if (id == 257) {
            return "<|eos|>";
        }
        return id < 0x80 ? String.valueOf((char) id) : String.format("bytes:\\x%02x", id);
    }
}
