package org.distill4j.teacher.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.distill4j.teacher.http.FakeTeacherServer.Fault;
import org.distill4j.teacher.http.HttpTeacherConfig.LabelSource;
import org.distill4j.teacher.http.HttpTeacherConfig.MissingLogprobs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Classifier teachers whose API gives no log-probabilities (issue 11, item 4), against a real Jetty
 * chat-completions server on loopback that omits them: hard labels from the text, soft labels
 * estimated from n samples, and an answer without the field is never retried.
 */
@Timeout(60)
class LabelsWithoutLogprobsTest {

    private static final List<String> SENTIMENT = LabelCollectorTest.SENTIMENT;

    @TempDir
    Path dir;

    private FakeTeacherServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private HttpTeacherConfig.Builder openai() throws Exception {
        server = new FakeTeacherServer(LabelCollectorTest.KEY, SENTIMENT);
        return HttpTeacherConfig.builder(Protocol.OPENAI, server.baseUrl(), "fake-chat")
                .optApiKey(LabelCollectorTest.key())
                .optRetry(LabelCollectorTest.FAST)
                .optTimeout(Duration.ofSeconds(5));
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }

    @Test
    void withoutLogprobsTheDefaultPolicyStopsAtTheFirstAnswerAndRetriesNothing() throws Exception {
        HttpTeacherConfig config = openai().optConcurrency(1).build();
        server.omitLogprobs(true);
        TextSet data = TextSet.cycling(6, 6, SENTIMENT);

        assertThatThrownBy(() -> new LabelCollector(config).collect(data, dir, CollectionListener.none()))
                .isInstanceOf(CollectionAbortedException.class)
                .hasMessageContaining("without log-probabilities (choices[0].logprobs is null)")
                .hasMessageContaining("not retried")
                .hasMessageContaining("labels: text");

        assertThat(server.requests())
                .as("requests: the first answer stops the run")
                .isEqualTo(1);
        UsageReport usage = UsageReport.read(dir);
        assertThat(usage.logprobsUnsupported()).isTrue();
        assertThat(usage.retries()).isZero();
        assertThat(usage.errorsByKind()).isEqualTo(Map.of("unsupported", 1L));
        assertThat(CollectionJournal.read(dir).completed()).isEmpty();
    }

    @Test
    void underTheFailPolicyAnswersInFlightAreNeverLabelledFromTheirText() throws Exception {
        HttpTeacherConfig config = openai().optConcurrency(4).build();
        server.omitLogprobs(true).latencyMillis(30);
        TextSet data = TextSet.cycling(12, 12, SENTIMENT);

        assertThatThrownBy(() -> new LabelCollector(config).collect(data, dir, CollectionListener.none()))
                .isInstanceOf(CollectionAbortedException.class);

        assertThat(server.requests()).as("at most one request per worker").isLessThanOrEqualTo(4);
        assertThat(CollectionJournal.read(dir).completed()).isEmpty();
        assertThat(UsageReport.read(dir).itemsByLabelSource()).isEmpty();
    }

    @Test
    void theTextPolicySwitchesToHardLabelsOnceAndStopsAskingForLogprobs() throws Exception {
        HttpTeacherConfig config = openai().optConcurrency(1)
                .optOnMissingLogprobs(MissingLogprobs.TEXT)
                .build();
        server.omitLogprobs(true);
        TextSet data = TextSet.cycling(6, 6, SENTIMENT);

        CollectionResult r = new LabelCollector(config).collect(data, dir, CollectionListener.none());

        assertThat(r.complete()).isTrue();
        assertThat(server.requests()).as("one request per item, none retried").isEqualTo(6);
        List<JsonNode> asked = server.chatRequests();
        assertThat(asked.get(0).path("logprobs").asBoolean()).isTrue();
        for (JsonNode later : asked.subList(1, asked.size())) {
            assertThat(later.has("logprobs"))
                    .as("asked again after the switch: %s", later)
                    .isFalse();
            assertThat(later.path("temperature").asInt()).isZero();
        }
        for (int row = 0; row < 6; row++) {
            int expected = argmax(FakeTeacherServer.logSoftmax(data.text(row), 4));
            float[] v = java.util.Arrays.copyOfRange(r.outputs().logits(), row * 4, row * 4 + 4);
            for (int c = 0; c < 4; c++) {
                assertThat((double) v[c])
                        .as("row %d class %d", row, c)
                        .isCloseTo(c == expected ? 0 : Math.log(LabelLogprobs.FLOOR), within(1e-4));
            }
            assertThat(r.items().get(row).labelSource()).isEqualTo("text");
        }
        assertThat(r.usage().logprobsUnsupported()).isTrue();
        assertThat(r.usage().itemsByLabelSource()).isEqualTo(Map.of("text", 6L));
        assertThat(CollectionJournal.read(dir).completed().values())
                .allMatch(i -> i.labelSource().equals("text"));
    }

    @Test
    void hardLabelsComeFromTheTextAndAnUnmappableAnswerIsCountedNotRetried() throws Exception {
        HttpTeacherConfig config =
                openai().optLabelSource(LabelSource.TEXT, 0).optConcurrency(2).build();
        server.omitLogprobs(true);
        TextSet data = TextSet.cycling(8, 4, SENTIMENT);
        String noLabel = data.text(3);
        server.fault(noLabel, Fault.NO_LABEL);

        CollectionResult r = new LabelCollector(config).collect(data, dir, CollectionListener.none());

        assertThat(r.succeededRows()).containsExactly(0, 1, 2, 4, 5, 6);
        assertThat(r.failedRows()).extracting(CollectionResult.FailedRow::kind).containsOnly("label_not_in_answer");
        assertThat(r.failedRows().get(0).message()).contains("'The answer'");
        assertThat(server.requestsFor(noLabel)).as("not retried").isEqualTo(1);
        assertThat(server.requests()).isEqualTo(4);
        for (JsonNode req : server.chatRequests()) {
            assertThat(req.has("logprobs")).isFalse();
        }
        assertThat(r.usage().answersUnmappable()).isEqualTo(1);
        assertThat(r.usage().itemsByLabelSource()).isEqualTo(Map.of("text", 3L));
        assertThat(r.usage().errorsByKind()).isEqualTo(Map.of("label_not_in_answer", 1L));
        assertThat(r.usage().logprobsUnsupported()).isFalse();
        // The journal fingerprint says how labels were made: a soft-label job cannot resume it.
        assertThatThrownBy(() -> new LabelCollector(openai2(config)).collect(data, dir, CollectionListener.none()))
                .isInstanceOf(JournalException.class)
                .hasMessageContaining("labelSource");
    }

    private static HttpTeacherConfig openai2(HttpTeacherConfig config) {
        return config.toBuilder().optLabelSource(LabelSource.LOGPROBS, 8).build();
    }

    @Test
    void softLabelsAreEstimatedFromNSampledCompletionsInOneRequestPerItem() throws Exception {
        int n = 128;
        HttpTeacherConfig config = openai().optLabelSource(LabelSource.SAMPLES, n)
                .optConcurrency(2)
                .build();
        TextSet data = TextSet.cycling(4, 4, SENTIMENT);

        CollectionResult r = new LabelCollector(config).collect(data, dir, CollectionListener.none());

        assertThat(r.complete()).isTrue();
        assertThat(server.requests()).as("one request per item").isEqualTo(4);
        for (JsonNode req : server.chatRequests()) {
            assertThat(req.path("n").asInt()).isEqualTo(n);
            assertThat(req.path("temperature").asDouble()).isEqualTo(1.0);
            assertThat(req.has("logprobs")).isFalse();
        }
        for (int row = 0; row < 4; row++) {
            double[] p = FakeTeacherServer.logSoftmax(data.text(row), 4);
            double sum = 0;
            for (int c = 0; c < 4; c++) {
                double est = Math.exp(r.outputs().logits()[row * 4 + c]);
                sum += est;
                // n = 128 samples: the standard error of a share is at most 0.044; the bound is 3.4 of them.
                assertThat(est).as("row %d class %d", row, c).isCloseTo(Math.exp(p[c]), within(0.15));
            }
            assertThat(sum).isCloseTo(1.0, within(1e-4));
            assertThat(r.items().get(row).labelSource()).isEqualTo("samples");
        }
        // One answer in 20 names no label: counted, left out of the estimate, recorded as outside mass.
        assertThat(r.usage().answersUnmappable()).isBetween(8L, 50L);
        assertThat(r.usage().completionTokens()).isEqualTo(4L * n * 2);
        assertThat(r.usage().itemsByLabelSource()).isEqualTo(Map.of("samples", 4L));
        assertThat(r.items().get(0).outsideMass()).isBetween(0.0, 0.15);
    }

    @Test
    void aServerThatIgnoresNStopsTheRunInsteadOfPassingOneSampleOffAsAnEstimate() throws Exception {
        HttpTeacherConfig config = openai().optLabelSource(LabelSource.SAMPLES, 8)
                .optConcurrency(1)
                .build();
        server.ignoreN(true);
        TextSet data = TextSet.cycling(4, 4, SENTIMENT);

        assertThatThrownBy(() -> new LabelCollector(config).collect(data, dir, CollectionListener.none()))
                .isInstanceOf(CollectionAbortedException.class)
                .hasMessageContaining("answered 1 choices where n = 8")
                .hasMessageContaining("not retried");
        assertThat(server.requests()).isEqualTo(1);
        assertThat(UsageReport.read(dir).errorsByKind()).isEqualTo(Map.of("unsupported", 1L));
    }

    @Test
    void answersMapToClassNamesWithoutGuessing() {
        List<String> labels = List.of("lib", "lib-devel", "doc");
        assertThat(AnswerLabel.of(" Lib.", labels)).isZero();
        assertThat(AnswerLabel.of("**lib-devel**", labels)).isEqualTo(1);
        assertThat(AnswerLabel.of("DOC: it documents", labels)).isEqualTo(2);
        assertThat(AnswerLabel.of("libs", labels)).isEqualTo(-1);
        assertThat(AnswerLabel.of("I think doc", labels)).isEqualTo(-1);
        assertThat(AnswerLabel.of("", labels)).isEqualTo(-1);
    }
}
