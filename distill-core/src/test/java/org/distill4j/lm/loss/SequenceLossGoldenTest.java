package org.distill4j.lm.loss;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks {@link FullKl}, {@link TopKKl} and {@link SampledKd} against loss values and gradients that
 * PyTorch computed in float64 ({@code tools/golden/lm_loss_golden.py}, formulas in its docstring and
 * the JSON's "formula"), on the very float32 inputs fed here. Tolerance {@code 1e-6 + 1e-4 * |x|},
 * as for the classifier loss: a missing T^2, a sum instead of a mean over real positions, padding
 * counted, a renormalised top-k or a dropped tail bucket are each off by far more.
 */
class SequenceLossGoldenTest {

    private static final String RESOURCE = "/golden/lm_loss_golden.json";

    private static JsonNode golden() {
        try (InputStream in = SequenceLossGoldenTest.class.getResourceAsStream(RESOURCE)) {
            assertThat(in).as("test resource %s", RESOURCE).isNotNull();
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Named<JsonNode>> cases() {
        List<Named<JsonNode>> out = new ArrayList<>();
        for (JsonNode c : golden().get("cases")) {
            out.add(Named.of(c.get("name").asText(), c));
        }
        return out.stream();
    }

    @Test
    void goldenFileCoversEveryVariantWithPaddingAndBothAlphaEnds() {
        JsonNode doc = golden();
        assertThat(doc.at("/producer/command").asText()).contains("lm_loss_golden.py");
        List<String> kinds = new ArrayList<>();
        boolean padded = false;
        for (JsonNode c : doc.get("cases")) {
            kinds.add(c.get("kind").asText() + "@" + c.get("alpha").asDouble());
            for (JsonNode y : c.get("targets")) {
                padded |= y.asLong() < 0;
            }
        }
        assertThat(kinds)
                .contains(
                        "full@0.0",
                        "full@1.0",
                        "full@0.5",
                        "topk@1.0",
                        "topk@0.5",
                        "sampled@1.0",
                        "sampled@0.5",
                        "reverse@0.5",
                        "reverse@1.0",
                        "jsd@0.5",
                        "jsd@1.0");
        assertThat(padded).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPyTorch(JsonNode c) {
        String id = c.get("name").asText() + ": ";
        int b = c.get("batch").asInt();
        int len = c.get("length").asInt();
        int v = c.get("vocab").asInt();
        double t = c.get("temperature").asDouble();
        double alpha = c.get("alpha").asDouble();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray student = m.create(floats(c.get("student_logits")), new Shape(b, len, v));
            NDArray targets = m.create(longs(c.get("targets")), new Shape(b, len));
            SequenceLoss loss;
            TeacherTargets teacher;
            switch (c.get("kind").asText()) {
                case "full" -> {
                    loss = new FullKl(t, alpha);
                    teacher = new TeacherTargets.Full(m.create(floats(c.get("teacher_logits")), new Shape(b, len, v)));
                }
                case "reverse" -> {
                    loss = new ReverseKl(t, alpha);
                    teacher = new TeacherTargets.Full(m.create(floats(c.get("teacher_logits")), new Shape(b, len, v)));
                }
                case "jsd" -> {
                    loss = new GeneralizedJsd(c.get("beta").asDouble(), t, alpha);
                    teacher = new TeacherTargets.Full(m.create(floats(c.get("teacher_logits")), new Shape(b, len, v)));
                }
                case "topk" -> {
                    int k = c.get("k").asInt();
                    loss = new TopKKl(k, alpha);
                    teacher = new TeacherTargets.TopK(
                            m.create(longs(c.get("teacher_ids")), new Shape(b, len, k)),
                            m.create(floats(c.get("teacher_logprobs")), new Shape(b, len, k)));
                }
                default -> {
                    int n = c.get("samples").asInt();
                    loss = new SampledKd(n, t, alpha);
                    teacher = new TeacherTargets.Sampled(
                            m.create(longs(c.get("teacher_ids")), new Shape(b, len, n)),
                            m.create(floats(c.get("teacher_weights")), new Shape(b, len, n)));
                }
            }
            student.setRequiresGradient(true);
            SequenceLoss.Terms terms;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                terms = loss.terms(student, targets, teacher);
                gc.backward(terms.total());
            }
            JsonNode e = c.get("expected");
            assertThat(terms.total().getShape()).isEqualTo(new Shape());
            close(id + "loss", terms.total().getFloat(), e.get("loss").asDouble());
            term(id + "soft", terms.soft(), e.get("soft"));
            term(id + "hard", terms.hard(), e.get("hard"));
            float[] grad = student.getGradient().toFloatArray();
            JsonNode want = e.get("grad_student");
            assertThat(grad).hasSize(want.size());
            for (int i = 0; i < grad.length; i++) {
                close(id + "grad[" + i + "]", grad[i], want.get(i).asDouble());
            }
        }
    }

    private static void term(String what, NDArray term, JsonNode expected) {
        if (expected.isNull()) {
            assertThat(term)
                    .as("%s has weight 0 and must not be computed", what)
                    .isNull();
        } else {
            assertThat(term).as(what).isNotNull();
            close(what, term.getFloat(), expected.asDouble());
        }
    }

    private static void close(String what, double actual, double expected) {
        assertThat(Math.abs(actual - expected))
                .as("%s: actual %s vs expected %s", what, actual, expected)
                .isLessThanOrEqualTo(1e-6 + 1e-4 * Math.abs(expected));
    }

    static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            // null encodes -inf (an absent top-k entry): JSON has no infinities.
            out[i] = a.get(i).isNull()
                    ? Float.NEGATIVE_INFINITY
                    : (float) a.get(i).asDouble();
        }
        return out;
    }

    static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }
}
