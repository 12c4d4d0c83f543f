package org.distill4j.teacher.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.distill4j.data.ExampleSet;

/** OpenAI-compatible chat completions, one item per request; soft labels by {@link LabelLogprobs}. */
final class OpenAiCodec implements Codec {

    private final HttpTeacherConfig config;
    private final ExampleSet data;
    private final List<String> labels;

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

    private String prompt(Item item) {
        return prompt(config.promptTemplate(), labels, data.text(item.row()));
    }

    @Override
    public byte[] request(List<Item> items, String requestId) {
        ObjectNode root = JournalJson.MAPPER.createObjectNode();
        root.put("model", config.model());
        root.putArray("messages").addObject().put("role", "user").put("content", prompt(items.get(0)));
        root.put("logprobs", true);
        root.put("top_logprobs", config.topLogprobs());
        root.put("max_tokens", config.maxTokens());
        root.put("temperature", 0);
        return JournalJson.canonical(root).getBytes(StandardCharsets.UTF_8);
    }

    /** About 4 characters per token for the prompt, plus the whole generation budget. */
    @Override
    public long estimateTokens(List<Item> items) {
        return prompt(items.get(0)).length() / 4 + 8 + config.maxTokens();
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
        try {
            LabelLogprobs.Result r = LabelLogprobs.extract(
                    LabelLogprobs.parse(choice.path("logprobs").get("content")), labels);
            float[] v = new float[r.logprobs().length];
            for (int c = 0; c < v.length; c++) {
                v[c] = (float) r.logprobs()[c];
            }
            outcome = new ItemOutcome(v, r.outsideMass(), completion, null);
        } catch (MalformedResponseException e) {
            outcome = new ItemOutcome(null, 0, completion, e);
        }
        return new Response(
                List.of(outcome),
                JournalJson.text(root.get("model")),
                JournalJson.text(root.get("system_fingerprint")),
                prompt,
                generated);
    }
}
