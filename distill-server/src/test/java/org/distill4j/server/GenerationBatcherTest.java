package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.distill4j.lm.model.Generator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link GenerationBatcher} through a server whose batch holds 2 generations: more concurrent
 * generations than rows wait for a row and all get their answers, at most 2 rows per step, on
 * every engine (DJL, the JVM, and a generation that moves from the JVM into the batched pass) the
 * same answers; a closed generation
 * (its client went away) leaves at the next step, and the batch's thread runs with PyTorch's grad
 * mode off; a shutdown fails what is generating with a 503 (or closes the connection) within
 * seconds.
 */
class GenerationBatcherTest {

    @TempDir
    static Path tmp;

    static ModelServer server;
    static ModelServer jvmServer;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        Path dir = TestLms.tiny(tmp.resolve("tiny"));
        server = ModelServer.builder()
                .optPort(0)
                .optMaxBatchRows(2)
                .optLmEngine(Generator.Engine.DJL)
                .addLanguageModel(ServedLanguageModel.load("tiny", dir))
                .build()
                .start();
        jvmServer = ModelServer.builder()
                .optPort(0)
                .optMaxBatchRows(2)
                .optLmEngine(Generator.Engine.JVM)
                .addLanguageModel(ServedLanguageModel.load("tiny", dir))
                .build()
                .start();
        http = new Http(server.baseUri());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (jvmServer != null) {
            jvmServer.close();
        }
    }

    static ObjectNode request(String prompt, int maxTokens) {
        return Http.JSON
                .createObjectNode()
                .put("model", "tiny")
                .put("prompt", prompt)
                .put("max_tokens", maxTokens)
                .put("temperature", 0);
    }

    @ParameterizedTest
    @EnumSource(
            value = Generator.Engine.class,
            names = {"DJL", "JVM"})
    void moreGenerationsThanRowsWaitForOneAndAllFinish(Generator.Engine engine) throws Exception {
        ModelServer target = engine == Generator.Engine.DJL ? server : jvmServer;
        Http client = new Http(target.baseUri());
        String[] prompts = {"the cat", "a dog", "the sun", "the sea", "a mat", "the bone"};
        List<String> alone = new ArrayList<>();
        // 50 tokens each (the tiny model's context is 64): long enough that six requests sent together
        // overlap on a loaded machine (with 20, a loaded run saw every generation end before the next began).
        for (String p : prompts) {
            // each one alone on the batched DJL engine: what every engine must answer
            alone.add(http.post("/v1/completions", request(p, 50))
                    .body()
                    .at("/choices/0/text")
                    .asText());
        }
        ExecutorService pool = Executors.newFixedThreadPool(prompts.length);
        List<Future<Http.Reply>> replies = new ArrayList<>();
        for (String p : prompts) {
            replies.add(pool.submit(() -> client.post("/v1/completions", request(p, 50))));
        }
        for (int i = 0; i < prompts.length; i++) {
            Http.Reply r = replies.get(i).get();
            assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
            assertThat(r.body().at("/choices/0/text").asText()).as(prompts[i]).isEqualTo(alone.get(i));
        }
        pool.shutdown();
        assertThat(target.generationStats("tiny").largestBatchRows()).isEqualTo(2);
    }

    @Test
    void aJvmGenerationMovesIntoTheBatchedPassWhenOthersJoin() throws Exception {
        // One generation on the JVM; the second to join starts the batched pass and the first moves
        // into it (its keys and values into its slot) mid-generation: what AUTO does as load grows.
        // Prompts of different lengths, with log-probabilities compared too.
        String[] prompts = {"the cat sat", "a dog", "the sun is warm"};
        OutputFilter slow = sleeping(5);
        List<double[]> alone = new ArrayList<>();
        List<String> aloneText = new ArrayList<>();
        try (LmHost host = host(3, OutputFilter.NONE, new GenerationBatcher.Split(0, false, "DJL"))) {
            for (String p : prompts) {
                try (LmGeneration g = generation(host, p)) {
                    g.finish();
                    aloneText.add(new String(g.bytes(), java.nio.charset.StandardCharsets.UTF_8));
                    alone.add(logps(g));
                }
            }
        }
        try (LmHost host = host(3, slow, new GenerationBatcher.Split(1, true, "the first on the JVM"))) {
            List<LmGeneration> together = new ArrayList<>();
            for (String p : prompts) {
                together.add(generation(host, p));
            }
            for (int i = 0; i < prompts.length; i++) {
                LmGeneration g = together.get(i);
                g.finish();
                assertThat(new String(g.bytes(), java.nio.charset.StandardCharsets.UTF_8))
                        .as(prompts[i])
                        .isEqualTo(aloneText.get(i));
                double[] lp = logps(g);
                assertThat(lp).hasSameSizeAs(alone.get(i));
                for (int t = 0; t < lp.length; t++) {
                    assertThat(lp[t]).as("%s token %d", prompts[i], t).isCloseTo(alone.get(i)[t], within(1e-4));
                }
                g.close();
            }
            assertThat(host.generator.stats().largestBatchRows()).isEqualTo(3);
            assertThat(host.generator.migrations()).isEqualTo(1);
        }
    }

    @Test
    void afterABurstNewGenerationsGoStraightToTheBatchedPass() throws Exception {
        // Up to 2 on the JVM, following the load: 3 at once put 2 there and move them when the third
        // arrives; the steps then held 3, so a generation that comes right after goes to the pass.
        OutputFilter slow = sleeping(5);
        try (LmHost host = host(3, slow, new GenerationBatcher.Split(2, true, "up to 2 on the JVM"))) {
            List<LmGeneration> burst = new ArrayList<>();
            for (String p : new String[] {"the cat", "a dog", "the sun"}) {
                burst.add(generation(host, p));
            }
            for (LmGeneration g : burst) {
                g.finish();
                g.close();
            }
            assertThat(host.generator.jvmJoins()).isEqualTo(2);
            assertThat(host.generator.migrations()).isEqualTo(2);
            try (LmGeneration after = generation(host, "the sea")) {
                after.finish();
                assertThat(after.generated()).isEqualTo(30);
            }
            assertThat(host.generator.jvmJoins())
                    .as("JVM joins after the burst")
                    .isEqualTo(2);
        }
    }

    /** A filter that sleeps {@code ms} per token where tokens are sampled, so that generations started together overlap. */
    private static OutputFilter sleeping(int ms) {
        return (request, logits, classes) -> {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return logits;
        };
    }

    /** A host of the tiny model with {@code rows} generation rows, split as {@code engine} says. */
    private static LmHost host(int rows, OutputFilter filter, Generator.Engine engine) throws Exception {
        ServedLanguageModel lm = ServedLanguageModel.load("tiny", tmp.resolve("tiny"));
        return host(lm, rows, filter, GenerationBatcher.Split.of(engine, lm.lm(), rows));
    }

    private static LmHost host(int rows, OutputFilter filter, GenerationBatcher.Split split) throws Exception {
        return host(ServedLanguageModel.load("tiny", tmp.resolve("tiny")), rows, filter, split);
    }

    private static LmHost host(ServedLanguageModel lm, int rows, OutputFilter filter, GenerationBatcher.Split split) {
        return new LmHost(lm, rows, Duration.ofMillis(2), 8, RequestObserver.NONE, filter, split);
    }

    private static LmGeneration generation(LmHost host, String prompt) {
        return new LmGeneration(
                host,
                new ClientRequest("test", "tiny", "completions", 1),
                TestLms.prompt(prompt),
                org.distill4j.lm.model.SamplingConfig.greedy(30).withStopAtEos(false),
                List.of(),
                true,
                false);
    }

    /** The log-probability of each generated token. */
    private static double[] logps(LmGeneration g) {
        return g.steps().stream().mapToDouble(st -> st.logp()[st.id()]).toArray();
    }

    @Test
    void autoDecodesAtLeastOneGenerationOnTheJvm() throws Exception {
        try (LmHost host = host(4, OutputFilter.NONE, Generator.Engine.AUTO)) {
            assertThat(host.generator.jvmRows()).isBetween(1, 4);
            assertThat(host.generator.engineDescription())
                    .matches("up to [1-4] on the plain-Java decoder while recent steps held fewer and none is in the"
                            + " batched DJL pass, else batched"
                            + " \\(--lm-engine auto: a token costs [0-9.]+ ms on the JVM, a DJL step [0-9.]+ ms\\)");
        }
        try (LmHost host = host(4, OutputFilter.NONE, Generator.Engine.JVM)) {
            assertThat(host.generator.jvmRows()).isEqualTo(4);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = Generator.Engine.class,
            names = {"DJL", "JVM"})
    void aClosedGenerationLeavesTheBatchAtTheNextStep(Generator.Engine engine) throws Exception {
        // An output filter that takes 5 ms per token makes a 50-token generation last ~250 ms;
        // closing it after ~30 ms (a client that went away) must stop it within a step or two.
        // The filter runs where tokens are sampled (the batcher's thread): it also records whether
        // PyTorch's grad mode was ever on there (it must be off: docs/engine.md).
        java.util.concurrent.atomic.AtomicBoolean gradMode = new java.util.concurrent.atomic.AtomicBoolean();
        OutputFilter slow = (request, logits, classes) -> {
            if (ai.djl.pytorch.jni.JniUtils.isGradMode()) {
                gradMode.set(true);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return logits;
        };
        try (LmHost host = host(1, slow, engine)) {
            ClientRequest who = new ClientRequest("test", "tiny", "completions", 1);
            org.distill4j.lm.model.SamplingConfig greedy =
                    org.distill4j.lm.model.SamplingConfig.greedy(50).withStopAtEos(false);
            LmGeneration first =
                    new LmGeneration(host, who, TestLms.prompt("the cat"), greedy, List.of(), false, false);
            Thread.sleep(30);
            first.close();
            // The batch has one row: this one gets it only once the first has left, and runs to its end.
            LmGeneration second = new LmGeneration(host, who, TestLms.prompt("a dog"), greedy, List.of(), false, false);
            second.finish();
            assertThat(second.generated()).isEqualTo(50);
            long fed = host.generator.stats().rows();
            assertThat(fed - 49).as("tokens fed to the closed generation").isLessThan(20);
            assertThat(gradMode).as("grad mode on where tokens were sampled").isFalse();
            second.close();
        }
    }

    @Test
    void aShutdownFailsWhatIsGeneratingWithA503() throws Exception {
        Path dir = tmp.resolve("tiny");
        // 1 ms per sampled token: on any engine (the JVM decodes this tiny model in microseconds)
        // 16 prompts x 16 choices x 50 tokens are still generating when the server stops.
        ModelServer other = ModelServer.builder()
                .optPort(0)
                .optMaxWait(Duration.ofMillis(1))
                .optOutputFilter(sleeping(1))
                .addLanguageModel(ServedLanguageModel.load("tiny", dir))
                .build()
                .start();
        Http client = new Http(other.baseUri());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        ObjectNode req = request("", 50).put("n", 16);
        com.fasterxml.jackson.databind.node.ArrayNode prompts = req.putArray("prompt");
        for (int i = 0; i < 16; i++) {
            prompts.add("the cat " + i);
        }
        Future<Http.Reply> reply = pool.submit(() -> client.post("/v1/completions", req));
        Thread.sleep(500);
        long t0 = System.nanoTime();
        other.close();
        assertThat((System.nanoTime() - t0) / 1e9).as("seconds to close").isLessThan(15);
        try {
            Http.Reply r = reply.get(15, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.status()).as(r.raw().body()).isEqualTo(503);
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(java.io.IOException.class); // the connection closed
        }
        pool.shutdown();
    }
}
