package org.distill4j.teacher.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.distill4j.data.ExampleSet;
import org.slf4j.LoggerFactory;

/**
 * OpenAI-compatible chat completions, one item per request: soft labels by {@link LabelLogprobs},
 * hard labels from the text by {@link AnswerLabel}, or soft labels estimated from {@code n} sampled
 * completions (see {@link HttpTeacherConfig.LabelSource}). Unlike other codecs it holds one piece of
 * state, set once: whether the server was found to answer without log-probabilities (then, under
 * {@link HttpTeacherConfig.MissingLogprobs#TEXT}, later requests ask for none).
 */
final class OpenAiCodec implements Codec {

    private final HttpTeacherConfig config;
    private final ExampleSet data;
    private final List<String> labels;
    private final AtomicBoolean logprobsUnsupported = new AtomicBoolean();

    OpenAiCodec(HttpTeacherConfig config, ExampleSet data) {
        this.config = config;
        this.data = data;
        this.labels = data.classNames();
    }

    @Override
    public ValueKind valueKind() {
        return ValueKind.LOG_PROBABILITIES;
    }

    /**
     * Fills the template: {@code {labels}} and {@code {text}} in one pass, so text that contains
     * "{labels}" stays as it is.
     */
    static String prompt(String template, List<String> labels, String text) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            if (template.startsWith("{text}", i)) {
                sb.append(text);
                i += 6;
            } else if (template.startsWith("{labels}", i)) {
                sb.append(String.join(", ", labels));
                i += 8;
            } else {
                sb.append(template.charAt(i++));
            }
        }
        return sb.toString();
    }

    /** Returns true once an answer came without log-probabilities although they were asked for. */
    boolean logprobsUnsupported() {
        return logprobsUnsupported.get();
    }

    /** The label source requests use now: the configured one, or text after a switch. */
    private HttpTeacherConfig.LabelSource source() {
        // Only under the text policy: under fail, answers still in flight must fail too, not be labelled.
        return config.labelSource() == HttpTeacherConfig.LabelSource.LOGPROBS
                        && config.onMissingLogprobs() == HttpTeacherConfig.MissingLogprobs.TEXT
                        && logprobsUnsupported.get()
                ? HttpTeacherConfig.LabelSource.TEXT
                : config.labelSource();
    }

    private String prompt(Item item) {
        return prompt(config.promptTemplate(), labels, data.text(item.row()));
    }

    @Override
    public byte[] request(List<Item> items, String requestId) {
        ObjectNode root = JournalJson.MAPPER.createObjectNode();
        root.put("model", config.model());
        root.putArray("messages").addObject().put("role", "user").put("content", prompt(items.get(0)));
        switch (source()) {
            case LOGPROBS -> {
                root.put("logprobs", true);
                root.put("top_logprobs", config.topLogprobs());
                root.put("max_tokens", config.maxTokens());
                root.put("temperature", 0);
            }
            case TEXT -> {
                root.put("max_tokens", config.maxTokens());
                root.put("temperature", 0);
            }
            case SAMPLES -> {
                root.put("max_tokens", config.maxTokens());
                root.put("temperature", 1);
                root.put("n", config.samples());
            }
        }
        return JournalJson.canonical(root).getBytes(StandardCharsets.UTF_8);
    }

    /** About 4 characters per token for the prompt, plus the whole generation budget (n times for samples). */
    @Override
    public long estimateTokens(List<Item> items) {
        int generations = source() == HttpTeacherConfig.LabelSource.SAMPLES ? config.samples() : 1;
        return prompt(items.get(0)).length() / 4 + 8 + (long) generations * config.maxTokens();
    }

    @Override
    public Response parse(byte[] body, List<Item> items, String requestId) throws MalformedResponseException {
        JsonNode root = Codec.readObject(body);
        JsonNode choice = root.path("choices").path(0);
        if (choice.isMissingNode()) {
            throw new MalformedResponseException(ErrorKind.BAD_JSON, "response has no choices[0]");
        }
        String completion = choice.path("message").path("content").asText("");
        JsonNode usage = root.path("usage");
        long prompt = usage.path("prompt_tokens").asLong(0);
        long generated = usage.path("completion_tokens").asLong(0);
        ItemOutcome outcome;
        HttpTeacherConfig.LabelSource asked = source();
        if (asked == HttpTeacherConfig.LabelSource.LOGPROBS) {
            JsonNode lp = choice.path("logprobs");
            JsonNode content = lp.path("content");
            if (content.isMissingNode() || content.isNull()) {
                // The server ignores "logprobs" (Anthropic's API has none, many OpenAI-compatible servers
                // drop the field): asking again cannot help, and no probability may be invented.
                String what = lp.isMissingNode() || lp.isNull()
                        ? "choices[0].logprobs is " + (lp.isNull() ? "null" : "missing")
                        : "choices[0].logprobs.content is " + (content.isNull() ? "null" : "missing");
                boolean first = logprobsUnsupported.compareAndSet(false, true);
                if (config.onMissingLogprobs() == HttpTeacherConfig.MissingLogprobs.FAIL) {
                    outcome = new ItemOutcome(
                            null,
                            0,
                            completion,
                            new MalformedResponseException(
                                    ErrorKind.UNSUPPORTED,
                                    config.endpoint() + " answered without log-probabilities (" + what
                                            + "): the server does not serve them; not retried. Set "
                                            + "teacher.http.labels: text (hard labels from the answer) or samples "
                                            + "(soft labels estimated from n completions), or "
                                            + "on_missing_logprobs: text to switch when this happens"),
                            "",
                            0);
                } else {
                    if (first) {
                        LoggerFactory.getLogger(LabelCollector.class)
                                .warn(
                                        "{} answered without log-probabilities ({}); switching to hard labels from"
                                                + " the answer text for the rest of the run (on_missing_logprobs: text)",
                                        config.endpoint(),
                                        what);
                    }
                    outcome = hard(completion);
                }
            } else {
                try {
                    LabelLogprobs.Result r = LabelLogprobs.extract(LabelLogprobs.parse(content), labels);
                    float[] v = new float[r.logprobs().length];
                    for (int c = 0; c < v.length; c++) {
                        v[c] = (float) r.logprobs()[c];
                    }
                    outcome = new ItemOutcome(v, r.outsideMass(), completion, null, "logprobs", 0);
                } catch (MalformedResponseException e) {
                    outcome = new ItemOutcome(null, 0, completion, e);
                }
            }
        } else if (asked == HttpTeacherConfig.LabelSource.TEXT) {
            outcome = hard(completion);
        } else {
            outcome = sampled(root.path("choices"));
        }
        return new Response(
                List.of(outcome),
                JournalJson.text(root.get("model")),
                JournalJson.text(root.get("system_fingerprint")),
                prompt,
                generated);
    }

    private ItemOutcome hard(String completion) {
        return hardLabel(completion, labels);
    }

    /** A hard label from the completion text: one-hot log-probabilities, floored like soft labels. */
    static ItemOutcome hardLabel(String completion, List<String> labels) {
        int c = AnswerLabel.of(completion, labels);
        if (c < 0) {
            return new ItemOutcome(
                    null,
                    0,
                    completion,
                    new MalformedResponseException(
                            ErrorKind.LABEL_NOT_IN_ANSWER,
                            "the answer names no label of " + labels + ": '" + clip(completion) + "'"),
                    "text",
                    1);
        }
        double[] counts = new double[labels.size()];
        counts[c] = 1;
        return new ItemOutcome(logs(counts, 1), 0, completion, null, "text", 0);
    }

    /** Soft labels estimated from the choices of an {@code n} request: each class's share of the answers naming one. */
    private ItemOutcome sampled(JsonNode choices) {
        int n = config.samples();
        if (!choices.isArray() || choices.size() < n) {
            return new ItemOutcome(
                    null,
                    0,
                    "",
                    new MalformedResponseException(
                            ErrorKind.UNSUPPORTED,
                            config.endpoint() + " answered " + choices.size() + " choices where n = " + n
                                    + " were asked: the server does not serve \"n\"; not retried. Set "
                                    + "teacher.http.labels: text (hard labels), or use a server that honours n"),
                    "samples",
                    0);
        }
        double[] counts = new double[labels.size()];
        int mapped = 0;
        int unmappable = 0;
        String first = choices.path(0).path("message").path("content").asText("");
        for (JsonNode ch : choices) {
            int c = AnswerLabel.of(ch.path("message").path("content").asText(""), labels);
            if (c < 0) {
                unmappable++;
            } else {
                counts[c]++;
                mapped++;
            }
        }
        if (mapped == 0) {
            return new ItemOutcome(
                    null,
                    0,
                    first,
                    new MalformedResponseException(
                            ErrorKind.LABEL_NOT_IN_ANSWER,
                            "none of the " + choices.size() + " sampled answers names a label of " + labels
                                    + "; first: '" + clip(first) + "'"),
                    "samples",
                    unmappable);
        }
        // Answers naming no class are left out (renormalised away) and recorded as outside mass.
        return new ItemOutcome(
                logs(counts, mapped), (double) unmappable / choices.size(), first, null, "samples", unmappable);
    }

    /** Natural logs of counts / total, each floored at {@link LabelLogprobs#FLOOR} (never -infinity). */
    private static float[] logs(double[] counts, int total) {
        float[] v = new float[counts.length];
        for (int c = 0; c < v.length; c++) {
            v[c] = (float) Math.log(Math.max(LabelLogprobs.FLOOR, counts[c] / total));
        }
        return v;
    }

    private static String clip(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
