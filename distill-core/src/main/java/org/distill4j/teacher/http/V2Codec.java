package org.distill4j.teacher.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.ExampleSet;

/**
 * Open Inference Protocol v2. Output columns map to classes by position: column c of the [B, C]
 * output is class c of {@link ExampleSet#classNames()}; the protocol carries no label names, so the
 * model must have been exported with the same class order.
 */
final class V2Codec implements Codec {

    private final HttpTeacherConfig config;
    private final ExampleSet data;
    private final int classes;

    V2Codec(HttpTeacherConfig config, ExampleSet data) {
        this.config = config;
        this.data = data;
        this.classes = data.numClasses();
    }

    @Override
    public ValueKind valueKind() {
        return config.v2Output() == HttpTeacherConfig.V2Output.LOGITS ? ValueKind.LOGITS : ValueKind.LOG_PROBABILITIES;
    }

    @Override
    public byte[] request(List<Item> items, String requestId) {
        ObjectNode root = JournalJson.MAPPER.createObjectNode();
        root.put("id", requestId);
        ObjectNode input = root.putArray("inputs").addObject();
        input.put("name", config.v2InputName());
        ArrayNode shape = input.putArray("shape");
        shape.add(items.size());
        ArrayNode values = JournalJson.MAPPER.createArrayNode();
        if (config.v2Input() == HttpTeacherConfig.V2Input.TEXT) {
            input.put("datatype", "BYTES");
            for (Item it : items) {
                values.add(data.text(it.row()));
            }
        } else {
            input.put("datatype", "FP32");
            for (long d : data.featureShape()) {
                shape.add(d);
            }
            float[] row = new float[data.featureSize()];
            for (Item it : items) {
                data.copyFeatures(new int[] {it.row()}, row);
                for (float f : row) {
                    values.add(f);
                }
            }
        }
        input.set("data", values);
        if (!config.v2OutputName().isEmpty()) {
            root.putArray("outputs").addObject().put("name", config.v2OutputName());
        }
        return JournalJson.canonical(root).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public long estimateTokens(List<Item> items) {
        return 0;
    }

    @Override
    public Response parse(byte[] body, List<Item> items, String requestId) throws MalformedResponseException {
        JsonNode root = Codec.readObject(body);
        JsonNode id = root.get("id");
        if (id != null && !id.isNull() && !requestId.equals(id.asText())) {
            throw new MalformedResponseException(
                    ErrorKind.WRONG_SHAPE,
                    "response id '" + id.asText() + "' does not match request id '" + requestId + "'");
        }
        JsonNode outputs = root.get("outputs");
        if (outputs == null || !outputs.isArray() || outputs.isEmpty()) {
            throw new MalformedResponseException(ErrorKind.BAD_JSON, "response has no 'outputs' array");
        }
        JsonNode out = null;
        if (config.v2OutputName().isEmpty()) {
            out = outputs.get(0);
        } else {
            for (JsonNode o : outputs) {
                if (config.v2OutputName().equals(o.path("name").asText())) {
                    out = o;
                }
            }
            if (out == null) {
                throw new MalformedResponseException(
                        ErrorKind.WRONG_SHAPE, "response has no output named '" + config.v2OutputName() + "'");
            }
        }
        int b = items.size();
        JsonNode shape = out.get("shape");
        if (shape == null
                || !shape.isArray()
                || shape.size() != 2
                || shape.get(0).asLong() != b
                || shape.get(1).asLong() != classes) {
            throw new MalformedResponseException(
                    ErrorKind.WRONG_SHAPE,
                    "output shape " + shape + ", expected [" + b + ", " + classes + "] (batch, classes)");
        }
        String datatype = out.path("datatype").asText("");
        if (!datatype.startsWith("FP")) {
            throw new MalformedResponseException(
                    ErrorKind.WRONG_SHAPE, "output datatype '" + datatype + "', expected FP32, FP64 or FP16");
        }
        List<JsonNode> flat = new ArrayList<>();
        flatten(out.get("data"), flat);
        if (flat.size() != b * classes) {
            throw new MalformedResponseException(
                    ErrorKind.WRONG_SHAPE, "output holds " + flat.size() + " values, expected " + b + "*" + classes);
        }
        List<ItemOutcome> outcomes = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            outcomes.add(row(flat, i));
        }
        return new Response(
                outcomes, JournalJson.text(root.get("model_name")), JournalJson.text(root.get("model_version")), 0, 0);
    }

    private ItemOutcome row(List<JsonNode> flat, int i) {
        float[] v = new float[classes];
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            JsonNode n = flat.get(i * classes + c);
            if (!n.isNumber()) {
                return failed(
                        ErrorKind.BAD_JSON,
                        "output value of item " + i + ", class " + c + " is " + n + ", expected a number");
            }
            double x = n.asDouble();
            if (!Double.isFinite(x) || !Float.isFinite((float) x)) {
                return failed(
                        ErrorKind.NON_FINITE,
                        "output value of item " + i + ", class " + c + " is " + x + ", expected a finite value");
            }
            if (config.v2Output() == HttpTeacherConfig.V2Output.PROBABILITIES) {
                if (x < -1e-6) {
                    return failed(
                            ErrorKind.BAD_PROBABILITIES,
                            "probability of item " + i + ", class " + c + " is " + x + ", expected >= 0");
                }
                sum += x;
                v[c] = (float) Math.log(Math.max(x, LabelLogprobs.FLOOR));
            } else {
                v[c] = (float) x;
            }
        }
        if (config.v2Output() == HttpTeacherConfig.V2Output.PROBABILITIES && Math.abs(sum - 1) > 1e-3) {
            return failed(
                    ErrorKind.BAD_PROBABILITIES,
                    "probabilities of item " + i + " sum to " + sum
                            + ", expected 1 within 1e-3 (is the output logits? then configure output: logits)");
        }
        return new ItemOutcome(v, 0, "", null);
    }

    private static ItemOutcome failed(ErrorKind kind, String message) {
        return new ItemOutcome(null, 0, "", new MalformedResponseException(kind, message));
    }

    private static void flatten(JsonNode n, List<JsonNode> out) throws MalformedResponseException {
        if (n == null || !n.isArray()) {
            throw new MalformedResponseException(ErrorKind.BAD_JSON, "output has no 'data' array");
        }
        for (JsonNode x : n) {
            if (x.isArray()) {
                flatten(x, out);
            } else {
                out.add(x);
            }
        }
    }
}
