package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serving seams: a {@link RequestObserver} sees every request per client before the model and
 * may refuse it; an {@link OutputFilter} changes what leaves the model on every endpoint.
 */
class ServingHooksTest {

    @TempDir
    static Path tmp;

    @Test
    void observerSeesEachRequestPerClientAndCanRefuseIt() throws Exception {
        List<ClientRequest> seen = new CopyOnWriteArrayList<>();
        RequestObserver observer = r -> {
            seen.add(r);
            if (seen.size() > 2) {
                throw new RequestRefusedException(429, "rate_limited", "client " + r.client() + " is over its budget");
            }
        };
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optApiKey("k1")
                .optRequestObserver(observer)
                .addModel(ServedSavedModel.load("sentiment", TestModels.text(tmp.resolve("t1"), 5)))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            String infer =
                    "{\"inputs\":[{\"name\":\"text\",\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"a\",\"b\"]}]}";
            String[] auth = {"Authorization", "Bearer k1", "Content-Type", "application/json"};
            assertThat(http.post("/v2/models/sentiment/infer", infer, auth).status())
                    .isEqualTo(200);
            String chat = "{\"model\":\"sentiment\",\"messages\":[{\"role\":\"user\",\"content\":\"fine\"}]}";
            assertThat(http.post("/v1/chat/completions", chat, auth).status()).isEqualTo(200);
            Http.Reply refused = http.post("/v1/chat/completions", chat, auth);
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.body().at("/error/type").asText()).isEqualTo("rate_limit_error");
            assertThat(refused.body().at("/error/code").asText()).isEqualTo("rate_limited");
            // Bad requests never reach the observer.
            assertThat(http.post("/v2/models/sentiment/infer", "{\"inputs\":[]}", auth)
                            .status())
                    .isEqualTo(400);
            assertThat(seen).hasSize(3);
            assertThat(seen.get(0)).isEqualTo(new ClientRequest(seen.get(0).client(), "sentiment", "v2.infer", 2));
            assertThat(seen.get(1).endpoint()).isEqualTo("openai.chat");
            assertThat(seen.get(1).rows()).isEqualTo(1);
            // The client is named by a hash of its key, never the key.
            assertThat(seen.get(0).client()).startsWith("key:").hasSize(4 + 16).doesNotContain("k1");
            assertThat(seen)
                    .extracting(ClientRequest::client)
                    .containsOnly(seen.get(0).client());
        }
    }

    @Test
    void outputFilterChangesWhatEveryEndpointReturns() throws Exception {
        // Makes the last class win with logit 10, all others 0.
        OutputFilter last = (request, logits, classes) -> {
            float[] out = new float[logits.length];
            for (int r = 0; r < logits.length / classes; r++) {
                out[r * classes + classes - 1] = 10f;
            }
            return out;
        };
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optOutputFilter(last)
                .addModel(ServedSavedModel.load("sentiment", TestModels.text(tmp.resolve("t2"), 5)))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            int c = TestModels.TEXT_CLASSES.size();
            Http.Reply v2 = http.post(
                    "/v2/models/sentiment/infer",
                    "{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"great film\"]}]}");
            JsonNode logits = v2.body().at("/outputs/0/data");
            assertThat(logits.get(c - 1).floatValue()).isEqualTo(10f);
            assertThat(logits.get(0).floatValue()).isZero();
            ObjectNode chat =
                    Http.JSON.createObjectNode().put("model", "sentiment").put("logprobs", true);
            chat.putArray("messages").addObject().put("role", "user").put("content", "great film");
            Http.Reply r = http.post("/v1/chat/completions", chat);
            assertThat(r.body().at("/choices/0/message/content").asText())
                    .isEqualTo(TestModels.TEXT_CLASSES.get(c - 1));
            double expected = 10 - Math.log(Math.exp(10) + (c - 1));
            assertThat(r.body().at("/choices/0/logprobs/content/0/logprob").asDouble())
                    .isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-6));
        }
    }
}
