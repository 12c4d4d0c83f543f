package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.SamplingConfig;
import org.distill4j.lm.token.BpeTokenizer;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.teacher.http.lm.PromptTopK;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill serve} of a language model with a byte-level BPE: prompts are tokenized with the
 * model's own tokenizer, tokens that are several bytes appear as their text (or {@code bytes:\xNN...}
 * when they are not valid UTF-8 alone), their bytes add up to the text, and log-probabilities and
 * greedy text are the model's own.
 */
class LmBpeServingTest {

    @TempDir
    static Path tmp;

    static ModelServer server;
    static Http http;
    static LanguageModel reference;
    static Tokenizer bpe;

    @BeforeAll
    static void start() throws Exception {
        Path dir = TestLms.tinyBpe(tmp.resolve("tiny-bpe"), 300);
        reference = LanguageModel.load(dir);
        bpe = reference.tokenizer();
        assertThat(bpe).isInstanceOf(BpeTokenizer.class);
        server = ModelServer.builder()
                .optPort(0)
                .optMaxWait(Duration.ofMillis(30))
                .addLanguageModel(ServedLanguageModel.load("bpe", dir))
                .build()
                .start();
        http = new Http(server.baseUri());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (reference != null) {
            reference.close();
        }
    }

    private static int[] prompt(String text) {
        return new Generator(reference).prompt(text);
    }

    private static JsonNode ok(String path, ObjectNode req) throws Exception {
        Http.Reply r = http.post(path, req);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        return r.body();
    }

    /** The bytes a token string stands for: {@code bytes:\xNN...} or the UTF-8 of its text. */
    private static byte[] bytesOf(String token) {
        if (!token.startsWith("bytes:")) {
            return token.getBytes(StandardCharsets.UTF_8);
        }
        String hex = token.substring(6).replace("\\x", "");
        return HexFormat.of().parseHex(hex);
    }

    @Test
    void tokensAreTheModelsOwnAndTheirBytesSpellThePrompt() throws Exception {
        String text = "the cat sat on a caf\u00e9 mat, s'il vous pla\u00eet";
        ObjectNode req = Http.JSON.createObjectNode().put("model", "bpe").put("prompt", text);
        JsonNode c = ok(
                        "/v1/completions",
                        req.put("max_tokens", 0).put("echo", true).put("logprobs", 3))
                .at("/choices/0");
        int[] ids = prompt(text);
        assertThat(ids.length).isLessThan(text.length()); // merges: fewer tokens than characters
        JsonNode lp = c.path("logprobs");
        assertThat(lp.get("tokens")).hasSize(ids.length);
        assertThat(lp.at("/tokens/0").asText()).isEqualTo("<|bos|>");
        float[] logits = TestLms.directLogits(reference, ids);
        ByteArrayOutputStream spelled = new ByteArrayOutputStream();
        int lastOffset = 0;
        for (int i = 1; i < ids.length; i++) {
            String token = lp.get("tokens").get(i).asText();
            assertThat(token).isEqualTo(TokenText.token(bpe, ids[i]));
            assertThat(bytesOf(token)).isEqualTo(bpe.bytes(ids[i]));
            spelled.writeBytes(bytesOf(token));
            double[] want = Tensors.logSoftmax(logits, i - 1, bpe.vocabSize());
            assertThat(lp.get("token_logprobs").get(i).asDouble()).isCloseTo(want[ids[i]], within(1e-5));
            for (int b : LmCompletions.top(want, 3)) {
                assertThat(lp.get("top_logprobs")
                                .get(i)
                                .path(TokenText.token(bpe, b))
                                .asDouble())
                        .isCloseTo(want[b], within(1e-5));
            }
            int offset = lp.get("text_offset").get(i).asInt();
            assertThat(offset).isBetween(lastOffset, text.length());
            lastOffset = offset;
        }
        assertThat(spelled.toString(StandardCharsets.UTF_8)).isEqualTo(text);
        assertThat(c.path("text").asText()).isEqualTo(text);
        assertThat(ok("/v1/completions", req).at("/usage/prompt_tokens").asInt())
                .isEqualTo(ids.length);
    }

    @Test
    void everyTokenStringMapsBackToItsIdOnTheClientSide() {
        // What the top-k collector relies on: the server's token strings name the student's ids.
        for (int id = 0; id < bpe.vocabSize(); id++) {
            assertThat(PromptTopK.tokenId(TokenText.token(bpe, id), bpe))
                    .as("id %d", id)
                    .isEqualTo(id);
        }
        assertThat(PromptTopK.tokenId("bytes:\\xc3", bpe)).isEqualTo(bpe.id(new byte[] {(byte) 0xC3}));
        assertThat(PromptTopK.tokenId("bytes:\\xzz", bpe)).isNull();
        assertThat(PromptTopK.tokenId("a token no vocabulary has", bpe)).isNull();
    }

    @Test
    void partialCharactersAreWrittenAsBytes() {
        int c3 = bpe.encode("\u00c3")[0]; // the lead byte 0xC3 of U+00C3 ... as a token of its own
        byte[] lead = {(byte) 0xC3};
        int leadId = -1;
        for (int id = 0; id < bpe.vocabSize(); id++) {
            if (java.util.Arrays.equals(bpe.bytes(id), lead)) {
                leadId = id;
            }
        }
        assertThat(leadId).isEqualTo(c3);
        assertThat(TokenText.token(bpe, leadId)).isEqualTo("bytes:\\xc3");
        assertThat(TokenText.token(bpe, bpe.eos())).isEqualTo("<|eos|>");
        assertThat(TokenText.bytes(bpe, bpe.bos()).isNull()).isTrue();
        int cafe = bpe.encode("caf\u00e9")[0];
        assertThat(TokenText.bytes(bpe, cafe)).hasSize(bpe.byteLength(cafe));
    }

    @Test
    void greedyTextChatAndStreamsAreTheModelsOwn() throws Exception {
        String text = "the dog";
        int[] want = new Generator(reference)
                .generate(prompt(text), SamplingConfig.greedy(20), true, false)
                .tokens();
        boolean eos = want.length > 0 && want[want.length - 1] == bpe.eos();
        JsonNode body = ok(
                "/v1/completions",
                Http.JSON
                        .createObjectNode()
                        .put("model", "bpe")
                        .put("prompt", text)
                        .put("max_tokens", 20)
                        .put("temperature", 0)
                        .put("logprobs", 2));
        assertThat(body.at("/choices/0/text").asText()).isEqualTo(bpe.decode(want));
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(want.length);
        assertThat(body.at("/choices/0/logprobs/tokens")).hasSize(eos ? want.length - 1 : want.length);

        ObjectNode chat = Http.JSON
                .createObjectNode()
                .put("model", "bpe")
                .put("max_tokens", 16)
                .put("temperature", 0);
        chat.putArray("messages").addObject().put("role", "user").put("content", "the cat");
        chat.put("logprobs", true).put("top_logprobs", 2);
        JsonNode answer = ok("/v1/chat/completions", chat);
        String content = answer.at("/choices/0/message/content").asText();
        ByteArrayOutputStream spelled = new ByteArrayOutputStream();
        for (JsonNode e : answer.at("/choices/0/logprobs/content")) {
            for (JsonNode b : e.path("bytes")) {
                spelled.write(b.asInt());
            }
        }
        assertThat(spelled.toString(StandardCharsets.UTF_8)).isEqualTo(content);

        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(server.baseUri().resolve("/v1/chat/completions"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        chat.deepCopy().put("stream", true).toString()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        StringBuilder streamed = new StringBuilder();
        for (String event : r.body().split("\n\n")) {
            if (event.startsWith("data: {")) {
                streamed.append(Http.JSON
                        .readTree(event.substring(6))
                        .at("/choices/0/delta/content")
                        .asText(""));
            }
        }
        assertThat(streamed.toString()).isEqualTo(content);
    }
}
