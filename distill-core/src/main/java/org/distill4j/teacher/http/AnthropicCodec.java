package org.distill4j.teacher.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.distill4j.data.ExampleSet;

/**
 * Anthropic's Messages API, one item per request: {@code {"model", "max_tokens", "temperature": 0,
 * "messages": [{"role": "user", "content": prompt}]}}; the answer's text blocks ({@code content[i].text})
 * are joined and mapped to a class by {@link AnswerLabel} (a hard label; the API gives no
 * log-probabilities), {@code usage.input_tokens}/{@code output_tokens} are counted.
 */
final class AnthropicCodec implements Codec {

    /** The {@code anthropic-version} header sent with every request. */
    static final String VERSION = "2023-06-01";

    private final HttpTeacherConfig config;
    private final ExampleSet data;
    private final List<String> labels;

    AnthropicCodec(HttpTeacherConfig config, ExampleSet data) {
        this.config = config;
        this.data = data;
        this.labels = data.classNames();
    }

    @Override
    public ValueKind valueKind() {
        return ValueKind.LOG_PROBABILITIES;
    }

    private String prompt(Item item) {
        return OpenAiCodec.prompt(config.promptTemplate(), labels, data.text(item.row()));
    }

    @Override
    public byte[] request(List<Item> items, String requestId) {
        ObjectNode root = JournalJson.MAPPER.createObjectNode();
        root.put("model", config.model());
        root.put("max_tokens", config.maxTokens());
        root.put("temperature", 0);
        root.putArray("messages").addObject().put("role", "user").put("content", prompt(items.get(0)));
        return JournalJson.canonical(root).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public long estimateTokens(List<Item> items) {
        return prompt(items.get(0)).length() / 4 + 8 + config.maxTokens();
    }

    @Override
    public Response parse(byte[] body, List<Item> items, String requestId) throws MalformedResponseException {
        JsonNode root = Codec.readObject(body);
        JsonNode content = root.path("content");
        if (!content.isArray()) {
            throw new MalformedResponseException(ErrorKind.BAD_JSON, "response has no content array");
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode block : content) {
            if ("text".equals(block.path("type").asText())) {
                text.append(block.path("text").asText(""));
            }
        }
        JsonNode usage = root.path("usage");
        return new Response(
                List.of(OpenAiCodec.hardLabel(text.toString(), labels)),
                JournalJson.text(root.get("model")),
                "",
                usage.path("input_tokens").asLong(0),
                usage.path("output_tokens").asLong(0));
    }
}
