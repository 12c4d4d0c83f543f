package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.SamplingConfig;
import org.distill4j.lm.token.Tokenizer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official {@code openai} npm client (in {@code src/test/node}, {@code lm-interop.mjs}) against
 * a served language model with an API key: legacy completions with echo and log-probabilities,
 * generation whole and streamed, chat whole and streamed with log-probabilities and usage, and a
 * refusal. Skipped without node or the installed package unless {@code DISTILL4J_REQUIRE_NODE=true}.
 */
class LmInteropTest {

    @TempDir
    static Path tmp;

    @ParameterizedTest(name = "{0} tokenizer")
    @ValueSource(strings = {"byte", "bpe"})
    void theOfficialOpenAiNodeClientScoresGeneratesAndStreams(String tokenizer) throws Exception {
        String skip = ChatStreamTest.nodeMissing();
        if (ChatStreamTest.REQUIRED) {
            assertThat(skip)
                    .as("DISTILL4J_REQUIRE_NODE=true but the node interop cannot run")
                    .isNull();
        }
        assumeTrue(skip == null, skip);
        Path dir = tokenizer.equals("bpe")
                ? TestLms.tinyBpe(tmp.resolve("tiny-bpe"), 300)
                : TestLms.tiny(tmp.resolve("tiny"));
        String key = "lm-interop-key";
        try (ModelServer server = ModelServer.builder()
                        .optPort(0)
                        .optApiKey(key)
                        .addLanguageModel(ServedLanguageModel.load("tiny", dir))
                        .build()
                        .start();
                LanguageModel reference = LanguageModel.load(dir)) {
            Process p = new ProcessBuilder("node", "lm-interop.mjs", server.baseUri() + "/v1", "tiny", key)
                    .directory(ChatStreamTest.NODE_DIR.toFile())
                    .redirectErrorStream(true)
                    .start();
            boolean done = p.waitFor(60, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(done).as("node finished within 60 s: " + output).isTrue();
            assertThat(p.exitValue()).as(output).isZero();
            JsonNode out = Http.JSON.readTree(output.substring(output.lastIndexOf('\n') + 1));

            Tokenizer tok = reference.tokenizer();
            Generator g = new Generator(reference);
            int[] ids = g.prompt("the cat sat");
            float[] logits = TestLms.directLogits(reference, ids);
            JsonNode lp = out.at("/scored/logprobs");
            assertThat(out.at("/scored/text").asText()).isEqualTo("the cat sat");
            assertThat(out.at("/scored/finish").asText()).isEqualTo("length");
            assertThat(lp.get("tokens")).hasSize(ids.length);
            assertThat(lp.at("/token_logprobs/0").isNull()).isTrue();
            for (int i = 1; i < ids.length; i++) {
                double[] row = Tensors.logSoftmax(logits, i - 1, tok.vocabSize());
                assertThat(lp.get("token_logprobs").get(i).asDouble()).isCloseTo(row[ids[i]], within(1e-5));
                assertThat(lp.get("top_logprobs").get(i).size()).isBetween(5, 6);
            }
            assertThat(out.at("/scored/usage/prompt_tokens").asInt()).isEqualTo(ids.length);

            String dog = tok.decode(g.generate(g.prompt("the dog"), SamplingConfig.greedy(20), true, false)
                    .tokens());
            assertThat(out.at("/generated/text").asText()).isEqualTo(dog);
            assertThat(out.at("/completionStream/text").asText()).isEqualTo(dog);

            int[] chatPrompt = g.prompt("<|user|>\ncat?\n<|assistant|>\n");
            int[] chatIds = g.generate(chatPrompt, SamplingConfig.greedy(12), true, false)
                    .tokens();
            String chat = tok.decode(chatIds);
            assertThat(out.at("/chat/content").asText()).isEqualTo(chat);
            assertThat(out.at("/chatStream/content").asText()).isEqualTo(chat);
            assertThat(out.at("/chatStream/finish").asText()).isIn("stop", "length");
            int generated = chatIds.length > 0 && chatIds[chatIds.length - 1] == tok.eos()
                    ? chatIds.length - 1
                    : chatIds.length;
            assertThat(out.at("/chatStream/logprobs").size()).isEqualTo(generated);
            assertThat(out.at("/chatStream/logprobs/0/top_logprobs")).hasSize(2);
            assertThat(out.at("/chatStream/usage/prompt_tokens").asInt()).isEqualTo(chatPrompt.length);
            assertThat(out.at("/refusal/status").asInt()).isEqualTo(400);
            assertThat(out.at("/refusal/param").asText()).isEqualTo("logprobs");
        }
    }
}
