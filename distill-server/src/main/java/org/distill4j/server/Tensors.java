package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;

/**
 * Reading request tensors and computing the outputs derived from logits. All checks throw {@link
 * ApiException} 400 with a message of the form "FIELD: what was sent, what is expected".
 */
final class Tensors {

    private Tensors() {}

    /** Reads an int array such as a shape; every element a non-negative integer. */
    static long[] shape(JsonNode node, String field) {
        if (node == null || !node.isArray()) {
            throw ApiException.badRequest(
                    field, field + ": missing or not an array of integers; expected e.g. [2, 16]");
        }
        long[] dims = new long[node.size()];
        for (int i = 0; i < dims.length; i++) {
            JsonNode d = node.get(i);
            // canConvertToLong: a huge integer must not wrap into an unrelated dimension.
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw ApiException.badRequest(
                        field,
                        field + "[" + i + "]: " + abbreviate(d.toString())
                                + " is not a non-negative integer"
                                + (d.isNumber() && !d.canConvertToLong() ? " within 64 bits" : ""));
            }
            dims[i] = d.asLong();
        }
        return dims;
    }

    /**
     * Flattens FP32 data (flat or nested arrays) into {@code expected} floats, row-major.
     *
     * @throws ApiException if the count differs, a value is not a number, or not finite in FP32
     */
    static float[] fp32(JsonNode data, String field, long[] shape, int expected) {
        if (data == null || !data.isArray()) {
            throw ApiException.badRequest(
                    field,
                    field + ": missing or not an array; expected " + expected + " numbers (flat or nested) for shape "
                            + Arrays.toString(shape));
        }
        float[] out = new float[expected];
        int n = flatten(data, field, out, 0);
        if (n != expected) {
            throw ApiException.badRequest(
                    field, field + ": " + n + " values, but shape " + Arrays.toString(shape) + " needs " + expected);
        }
        return out;
    }

    private static int flatten(JsonNode node, String field, float[] out, int n) {
        for (JsonNode v : node) {
            if (v.isArray()) {
                n = flatten(v, field, out, n);
                continue;
            }
            if (!v.isNumber()) {
                throw ApiException.badRequest(
                        field,
                        field + "[" + n + "]: " + abbreviate(v.toString())
                                + " is not a number; FP32 data holds numbers");
            }
            double d = v.asDouble();
            float f = (float) d;
            if (!Float.isFinite(f)) {
                throw ApiException.badRequest(
                        field,
                        field + "[" + n + "]: " + v.asText()
                                + (Double.isFinite(d) ? " is outside the FP32 range" : " is not allowed")
                                + "; FP32 inputs must be finite numbers");
            }
            if (n < out.length) {
                out[n] = f;
            }
            n++;
        }
        return n;
    }

    /** Reads BYTES data: exactly {@code expected} strings (flat or nested). */
    static List<String> strings(JsonNode data, String field, long[] shape, int expected) {
        if (data == null || !data.isArray()) {
            throw ApiException.badRequest(
                    field,
                    field + ": missing or not an array; expected " + expected + " strings for shape "
                            + Arrays.toString(shape));
        }
        List<String> out = new java.util.ArrayList<>();
        collect(data, field, out);
        if (out.size() != expected) {
            throw ApiException.badRequest(
                    field,
                    field + ": " + out.size() + " strings, but shape " + Arrays.toString(shape) + " needs " + expected);
        }
        return out;
    }

    private static void collect(JsonNode node, String field, List<String> out) {
        for (JsonNode v : node) {
            if (v.isArray()) {
                collect(v, field, out);
            } else if (v.isTextual()) {
                out.add(v.textValue());
            } else {
                throw ApiException.badRequest(
                        field,
                        field + "[" + out.size() + "]: " + abbreviate(v.toString())
                                + " is not a string; BYTES data holds strings (the texts to classify)");
            }
        }
    }

    /** Softmax of each row of {@code logits} (rows x classes), computed in double. */
    static float[] softmax(float[] logits, int classes) {
        float[] out = new float[logits.length];
        for (int r = 0; r < logits.length / classes; r++) {
            double[] lp = logSoftmax(logits, r, classes);
            for (int c = 0; c < classes; c++) {
                out[r * classes + c] = (float) Math.exp(lp[c]);
            }
        }
        return out;
    }

    /** Log-softmax of row {@code row}, in double: logit minus log-sum-exp, stable. */
    static double[] logSoftmax(float[] logits, int row, int classes) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, logits[row * classes + c]);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            sum += Math.exp(logits[row * classes + c] - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[classes];
        for (int c = 0; c < classes; c++) {
            out[c] = logits[row * classes + c] - lse;
        }
        return out;
    }

    static String abbreviate(String s) {
        return abbreviate(s, 40);
    }

    /** {@code s} if at most {@code max} chars, else its start and a note of its full length. */
    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "... (" + s.length() + " chars)";
    }
}
