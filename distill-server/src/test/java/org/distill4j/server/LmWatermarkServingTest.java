package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import org.distill4j.guard.TokenWatermark;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A language model served with a {@link TokenWatermark} (through {@link ServingGuard}'s {@code
 * filterTokens}): scored prompts' log-probabilities and greedy generations are exactly those of the
 * watermarked next-token logits, each keyed by the token it follows, on both generation engines;
 * the key never appears in a reply.
 */
class LmWatermarkServingTest {

    static final byte[] SECRET =
            HexFormat.of().parseHex("5e1f00aa11bb22cc33dd44ee55ff66007788990011223344556677889900aabb");

    @TempDir
    static Path tmp;

    /** The watermarked logits of the position after {@code ids}' last token, as the server serves them. */
    static float[] servedNext(LanguageModel lm, TokenWatermark k, int[] ids) {
        float[] all = TestLms.directLogits(lm, ids);
        float[] last = Arrays.copyOfRange(all, (ids.length - 1) * 258, ids.length * 258);
        return k.apply(new int[] {ids.length > 1 ? ids[ids.length - 2] : -1, ids[ids.length - 1]}, last, 258);
    }

    @ParameterizedTest
    @EnumSource(
            value = Generator.Engine.class,
            names = {"DJL", "JVM"})
    void scoredAndGeneratedTokensComeFromTheWatermarkedLogits(Generator.Engine engine) throws Exception {
        Path dir = TestLms.tiny(tmp.resolve("tiny-" + engine));
        // A large raise, so that greedy decoding visibly follows the green lists.
        TokenWatermark k = new TokenWatermark(SECRET, 0.25, 4.0);
        ServingGuard guard = new ServingGuard(null, k, null, Duration.ofSeconds(1), Clock.systemUTC());
        try (LanguageModel reference = LanguageModel.load(dir);
                ModelServer server = ModelServer.builder()
                        .optPort(0)
                        .optLmEngine(engine)
                        .optOutputFilter(guard)
                        .addLanguageModel(ServedLanguageModel.load("tiny", dir))
                        .build()
                        .start()) {
            Http http = new Http(server.baseUri());
            StringBuilder replies = new StringBuilder();

            // Scoring: every prompt position's log-probabilities are the watermarked ones.
            String text = "the cat sat on the mat";
            int[] ids = TestLms.prompt(text);
            ObjectNode score = Http.JSON
                    .createObjectNode()
                    .put("model", "tiny")
                    .put("prompt", text)
                    .put("max_tokens", 0)
                    .put("echo", true)
                    .put("logprobs", 5);
            Http.Reply r = http.post("/v1/completions", score);
            assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
            replies.append(r.raw().body());
            JsonNode lp = r.body().at("/choices/0/logprobs");
            float[] clean = TestLms.directLogits(reference, ids);
            float[] served = k.apply(TokenWatermark.contexts(ids), clean.clone(), 258);
            int moved = 0;
            for (int i = 1; i < ids.length; i++) {
                double[] want = Tensors.logSoftmax(served, i - 1, 258);
                double[] plain = Tensors.logSoftmax(clean, i - 1, 258);
                assertThat(lp.get("token_logprobs").get(i).asDouble())
                        .as("position %d", i)
                        .isCloseTo(want[ids[i]], within(1e-4));
                moved += Math.abs(want[ids[i]] - plain[ids[i]]) > 0.1 ? 1 : 0;
            }
            assertThat(moved).as("the watermark moves most positions").isGreaterThan(ids.length / 2);

            // The first generated token's log-probabilities (from the prefill, no echo) are watermarked.
            ObjectNode one = Http.JSON
                    .createObjectNode()
                    .put("model", "tiny")
                    .put("prompt", text)
                    .put("max_tokens", 1)
                    .put("temperature", 0)
                    .put("logprobs", 5);
            Http.Reply o = http.post("/v1/completions", one);
            assertThat(o.status()).as(o.raw().body()).isEqualTo(200);
            replies.append(o.raw().body());
            double[] first = Tensors.logSoftmax(servedNext(reference, k, ids), 0, 258);
            JsonNode firstTop = o.body().at("/choices/0/logprobs/top_logprobs/0");
            assertThat(firstTop.size()).isGreaterThanOrEqualTo(5);
            java.util.Map<String, Integer> idOf = new java.util.HashMap<>();
            for (int id = 0; id < 258; id++) {
                idOf.putIfAbsent(TokenText.token(ByteTokenizer.INSTANCE, id), id);
            }
            firstTop.fields()
                    .forEachRemaining(e -> assertThat(e.getValue().asDouble())
                            .as("token %s", e.getKey())
                            .isCloseTo(first[idOf.get(e.getKey())], within(1e-4)));

            // Greedy generation follows the watermarked logits, token after token.
            String promptText = "a dog";
            ObjectNode gen = Http.JSON
                    .createObjectNode()
                    .put("model", "tiny")
                    .put("prompt", promptText)
                    .put("max_tokens", 24)
                    .put("temperature", 0);
            Http.Reply g = http.post("/v1/completions", gen);
            assertThat(g.status()).as(g.raw().body()).isEqualTo(200);
            replies.append(g.raw().body());
            int[] seq = TestLms.prompt(promptText);
            int start = seq.length;
            int greenPicks = 0;
            for (int step = 0; step < 24 && seq.length < TestLms.CONTEXT; step++) {
                float[] next = servedNext(reference, k, seq);
                int best = 0;
                for (int t = 1; t < 258; t++) {
                    best = next[t] > next[best] ? t : best;
                }
                if (best == ByteTokenizer.EOS) {
                    break;
                }
                greenPicks += k.green(seq[seq.length - 2], seq[seq.length - 1], best) ? 1 : 0;
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = best;
            }
            int[] generated = Arrays.copyOfRange(seq, start, seq.length);
            assertThat(g.body().at("/choices/0/text").asText()).isEqualTo(ByteTokenizer.INSTANCE.decode(generated));
            // Without the watermark the model would have answered otherwise.
            int[] cleanGreedy = new Generator(reference, Generator.Engine.DJL)
                    .generate(TestLms.prompt(promptText), org.distill4j.lm.model.SamplingConfig.greedy(24), true, false)
                    .tokens();
            assertThat(generated.length).isGreaterThanOrEqualTo(3);
            assertThat(generated).isNotEqualTo(cleanGreedy);
            assertThat(greenPicks).as("greedy picks on green tokens").isGreaterThanOrEqualTo(1);
            assertThat(replies.toString())
                    .doesNotContain(HexFormat.of().formatHex(SECRET))
                    .doesNotContain(HexFormat.of().formatHex(SECRET).substring(0, 16));
        }
    }
}
