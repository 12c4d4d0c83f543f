package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The Open Inference Protocol v2 (KServe / Triton REST) handlers: server metadata, health, model
 * metadata and readiness, and inference.
 */
final class InferenceV2 {

    static final String LOGITS = "logits";
    static final String PROBABILITIES = "probabilities";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private InferenceV2() {}

    /** {@code GET /v2}: server metadata. */
    static ObjectNode server() {
        ObjectNode o = F.objectNode();
        o.put("name", "distill4j");
        String v = ModelServer.class.getPackage().getImplementationVersion();
        o.put("version", v == null ? "dev" : v);
        o.putArray("extensions");
        return o;
    }

    /** {@code GET /v2/health/live}: answers while the process serves HTTP. */
    static ObjectNode live() {
        return F.objectNode().put("live", true);
    }

    /** {@code GET /v2/health/ready}: 503 unless started and every model's batcher runs. */
    static ObjectNode ready(boolean started, java.util.Collection<Hosted> hosted) {
        if (!started || !hosted.stream().allMatch(h -> h.batcher.isRunning())) {
            throw new ApiException(503, "server is not ready (starting or shutting down)", null, "unavailable");
        }
        return F.objectNode().put("ready", true);
    }

    /** {@code GET /v2/models/{name}/ready}. */
    static ObjectNode modelReady(boolean started, Hosted h) {
        if (!started || !h.batcher.isRunning()) {
            throw new ApiException(503, "model '" + h.model.name() + "' is not ready", null, "unavailable");
        }
        return F.objectNode().put("name", h.model.name()).put("ready", true);
    }

    /** {@code GET /v2/models/{name}}. */
    static ObjectNode metadata(Hosted h) {
        ServedModel m = h.model;
        ObjectNode o = F.objectNode();
        o.put("name", m.name());
        o.putArray("versions").add(m.version());
        o.put("platform", m.platform());
        ArrayNode inputs = o.putArray("inputs");
        ObjectNode in = inputs.addObject();
        in.put("name", h.inputName());
        if (h.isText()) {
            in.put("datatype", "BYTES");
            in.putArray("shape").add(-1);
        } else {
            in.put("datatype", "FP32");
            ArrayNode shape = in.putArray("shape").add(-1);
            for (long d : m.featureShape()) {
                shape.add(d);
            }
        }
        ArrayNode outputs = o.putArray("outputs");
        for (String name : List.of(LOGITS, PROBABILITIES)) {
            ObjectNode out = outputs.addObject();
            out.put("name", name);
            out.put("datatype", "FP32");
            out.putArray("shape").add(-1).add(h.classes());
        }
        // distill4j extensions: what clients need to read the outputs and pin the model.
        ObjectNode params = o.putObject("parameters");
        params.put("content_hash", m.contentHash());
        params.put("description", m.describe());
        ArrayNode names = o.putArray("class_names");
        m.classNames().forEach(names::add);
        return o;
    }

    /**
     * {@code POST /v2/models/{name}[/versions/{v}]/infer} for {@code client}. Without {@code
     * outputs} in the request every output is returned, as the protocol says.
     */
    static ObjectNode infer(Hosted h, JsonNode req, String client) {
        if (!req.isObject()) {
            throw ApiException.badRequest(null, "request body must be a JSON object with \"inputs\"");
        }
        JsonNode id = req.get("id");
        if (id != null && !id.isTextual()) {
            throw ApiException.badRequest("id", "id: " + Tensors.abbreviate(id.toString()) + " is not a string");
        }
        List<String> wanted = outputs(h, req.get("outputs"));
        JsonNode inputs = req.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.size() != 1) {
            throw ApiException.badRequest(
                    "inputs",
                    "inputs: expected an array with exactly one tensor (" + expectation(h) + "), got "
                            + (inputs == null ? "none" : Tensors.abbreviate(inputs.toString())));
        }
        JsonNode in = inputs.get(0);
        if (!in.isObject()) {
            throw ApiException.badRequest(
                    "inputs[0]", "inputs[0]: expected a tensor object {name, shape, datatype, data}");
        }
        String name = in.path("name").asText(null);
        if (!h.inputName().equals(name)) {
            throw ApiException.badRequest(
                    "inputs[0].name",
                    "inputs[0].name: got " + quote(in.get("name")) + ", model '" + h.model.name() + "' takes one input "
                            + expectation(h));
        }
        String datatype = in.path("datatype").asText(null);
        String expectedType = h.isText() ? "BYTES" : "FP32";
        if (!expectedType.equals(datatype)) {
            throw ApiException.badRequest(
                    "inputs[0].datatype",
                    "inputs[0].datatype: got " + quote(in.get("datatype")) + ", model '" + h.model.name() + "' takes "
                            + expectation(h));
        }
        long[] shape = Tensors.shape(in.get("shape"), "inputs[0].shape");
        int rows = checkShape(h, shape);
        ClientRequest request = new ClientRequest(client, h.model.name(), "v2.infer", rows);
        float[] logits = h.isText()
                ? h.logitsOfTexts(request, Tensors.strings(in.get("data"), "inputs[0].data", shape, rows))
                : h.logits(request, Tensors.fp32(in.get("data"), "inputs[0].data", shape, rows * h.model.rowSize()));

        ObjectNode o = F.objectNode();
        if (id != null) {
            o.set("id", id);
        }
        o.put("model_name", h.model.name());
        o.put("model_version", h.model.version());
        ArrayNode outs = o.putArray("outputs");
        for (String out : wanted) {
            float[] values = out.equals(LOGITS) ? logits : Tensors.softmax(logits, h.classes());
            ObjectNode t = outs.addObject();
            t.put("name", out);
            t.put("datatype", "FP32");
            t.putArray("shape").add(rows).add(h.classes());
            ArrayNode data = t.putArray("data");
            for (float v : values) {
                data.add(v);
            }
        }
        return o;
    }

    /** Checks {@code shape} against the model's input; returns the row count. */
    private static int checkShape(Hosted h, long[] shape) {
        int max = h.batcher.maxBatchRows();
        boolean ok;
        if (h.isText()) {
            ok = shape.length == 1 || (shape.length == 2 && shape[1] == 1);
        } else {
            long[] fs = h.model.featureShape();
            ok = shape.length == fs.length + 1 && Arrays.equals(Arrays.copyOfRange(shape, 1, shape.length), fs);
        }
        if (!ok) {
            throw ApiException.badRequest(
                    "inputs[0].shape",
                    "inputs[0].shape: got " + Arrays.toString(shape) + ", model '" + h.model.name() + "' takes "
                            + expectation(h));
        }
        if (shape[0] < 1 || shape[0] > max) {
            throw ApiException.badRequest(
                    "inputs[0].shape",
                    "inputs[0].shape[0]: " + shape[0] + " rows, must be in [1, " + max
                            + "] (the server's max batch rows); split larger requests");
        }
        return (int) shape[0];
    }

    private static List<String> outputs(Hosted h, JsonNode outputs) {
        if (outputs == null || outputs.isNull()) {
            return List.of(LOGITS, PROBABILITIES); // the protocol: no outputs named, all outputs returned
        }
        if (!outputs.isArray() || outputs.isEmpty()) {
            throw ApiException.badRequest(
                    "outputs",
                    "outputs: expected a non-empty array such as " + "[{\"name\": \"probabilities\"}], got "
                            + Tensors.abbreviate(outputs.toString()));
        }
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < outputs.size(); i++) {
            String name = outputs.get(i).path("name").asText(null);
            if (!LOGITS.equals(name) && !PROBABILITIES.equals(name)) {
                throw ApiException.badRequest(
                        "outputs[" + i + "].name",
                        "outputs[" + i + "].name: got "
                                + quote(outputs.get(i).get("name")) + ", model '" + h.model.name()
                                + "' has outputs \"logits\" and \"probabilities\"");
            }
            names.add(name);
        }
        return new ArrayList<>(names);
    }

    /** What the model's input looks like, for messages: {@code "input" FP32 [B, 16]}. */
    static String expectation(Hosted h) {
        if (h.isText()) {
            return "\"text\" BYTES [B] (B strings)";
        }
        StringBuilder s = new StringBuilder("\"input\" FP32 [B");
        for (long d : h.model.featureShape()) {
            s.append(", ").append(d);
        }
        return s.append(']').toString();
    }

    private static String quote(JsonNode n) {
        return n == null ? "nothing" : Tensors.abbreviate(n.toString());
    }
}
