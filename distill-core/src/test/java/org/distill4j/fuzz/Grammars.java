package org.distill4j.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Generators of recipes, JSONL rows, IDX files and terms files from their grammars, each value
 * drawn from a pool of ordinary and hostile ones (negative, huge, NaN, wrong type, long, empty,
 * nested, YAML aliases and tags). Seeded: the same {@link Random} gives the same inputs.
 */
final class Grammars {

    private Grammars() {}

    /** Scalars and structures a careless user or an attacker writes where a value belongs. */
    static final List<String> YAML_VALUES = List.of(
            "0",
            "1",
            "-1",
            "3",
            "2.5",
            "1e30",
            "-1e30",
            ".nan",
            ".inf",
            "0x10",
            "''",
            "\"\"",
            "null",
            "~",
            "true",
            "no",
            "[1, 2]",
            "[]",
            "{}",
            "{a: 1}",
            "..",
            ".",
            "x",
            "*ep",
            "&ep 3",
            "!!binary aGk=",
            "!!str 3",
            "!!float 1",
            "'" + "z".repeat(300) + "'",
            "[[[[[[[[1]]]]]]]]",
            "\"\\u0000\"",
            "'é'",
            "2147483648",
            "9223372036854775808",
            "-0",
            "1_000");

    static final List<String> YAML_TOKENS = List.of(
            ":",
            " ",
            "\n",
            "\n  ",
            "- ",
            "[",
            "]",
            "{",
            "}",
            ",",
            "#",
            "&a ",
            "*a",
            "!!",
            "'",
            "\"",
            "<<: *a",
            "---",
            "...",
            "? ",
            "|",
            ">",
            "\t",
            "%YAML 1.1\n");

    private static String pick(Random r, List<String> values) {
        return values.get(r.nextInt(values.size()));
    }

    private static String value(Random r, String... usual) {
        return r.nextInt(3) == 0 ? pick(r, YAML_VALUES) : usual[r.nextInt(usual.length)];
    }

    private static String model(Random r) {
        return switch (r.nextInt(4)) {
            case 0 ->
                "{type: mlp, hidden: [" + value(r, "16", "8, 4", "") + "], dropout: " + value(r, "0", "0.5") + "}";
            case 1 ->
                "{type: cnn, channels: [" + value(r, "8", "4, 4") + "], kernel: " + value(r, "3", "5") + ", pool: "
                        + value(r, "2", "1") + ", batch_norm: " + value(r, "true", "false") + "}";
            case 2 -> "{type: bag, buckets: " + value(r, "1024", "16777217") + ", dim: " + value(r, "16", "4096") + "}";
            default -> "{type: " + value(r, "transformer", "mlp") + "}";
        };
    }

    private static String training(Random r) {
        return "{epochs: " + value(r, "1", "2") + ", batch_size: " + value(r, "32", "128") + ", learning_rate: "
                + value(r, "0.01", "0.001") + ", optimizer: " + value(r, "adam", "sgd") + "}";
    }

    /** A recipe: every section present or not, every value usual or hostile. */
    static String recipe(Random r) {
        StringBuilder y = new StringBuilder();
        if (r.nextBoolean()) {
            y.append("name: ").append(value(r, "fuzz", "a.b-c_1")).append('\n');
        }
        if (r.nextBoolean()) {
            y.append("seed: ").append(value(r, "1", "42")).append('\n');
        }
        y.append("data:\n  format: ").append(value(r, "idx", "jsonl")).append('\n');
        y.append("  dir: ")
                .append(value(r, "data", "/nonexistent", "../../etc"))
                .append('\n');
        if (r.nextBoolean()) {
            y.append("  validation_fraction: ").append(value(r, "0.1", "0")).append('\n');
        }
        y.append("teacher:\n  source: ")
                .append(value(r, "train", "distill4j", "http"))
                .append('\n');
        if (r.nextBoolean()) {
            y.append("  terms: ").append(value(r, "mit", "openai-api", "nope")).append('\n');
        }
        y.append("  model: ").append(model(r)).append('\n');
        y.append("  training: ").append(training(r)).append('\n');
        y.append("student:\n  model: ")
                .append(model(r))
                .append("\n  training: ")
                .append(training(r))
                .append('\n');
        if (r.nextBoolean()) {
            y.append("distillation: {temperature: ")
                    .append(value(r, "4", "1"))
                    .append(", alpha: ")
                    .append(value(r, "0.5", "1"))
                    .append(", mode: ")
                    .append(value(r, "cached", "online"))
                    .append("}\n");
        }
        if (r.nextBoolean()) {
            y.append("evaluation: {latency_runs: ")
                    .append(value(r, "10", "300"))
                    .append("}\n");
        }
        if (r.nextInt(10) == 0) {
            y.append(value(r, "unknown_key", "Data")).append(": 1\n");
        }
        return y.toString();
    }

    static final List<String> JSON_VALUES = List.of(
            "\"a\"",
            "\"b\"",
            "\"c\"",
            "1",
            "-1",
            "1e999",
            "null",
            "true",
            "[]",
            "{}",
            "[\"a\"]",
            "{\"x\": 1}",
            "\"\"",
            "\"" + "w".repeat(500) + "\"",
            "\"\\ud800\"",
            "\"\\u0000\"",
            "0.5",
            "9223372036854775808");

    static final List<String> JSON_TOKENS = List.of(
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"",
            "\\",
            "\n",
            "\r\n",
            "\"text\"",
            "\"label\"",
            "\"id\"",
            "NaN",
            "//",
            "/*");

    /** JSONL rows with text, label and id fields present, missing, duplicated or of the wrong type. */
    static String jsonl(Random r) {
        StringBuilder s = new StringBuilder();
        for (int i = 0, n = 1 + r.nextInt(12); i < n; i++) {
            if (r.nextInt(8) == 0) {
                s.append('\n');
                continue;
            }
            StringBuilder row = new StringBuilder("{");
            String[] keys = {"text", "label", "id", r.nextInt(5) == 0 ? "label" : "extra"};
            boolean first = true;
            for (String k : keys) {
                if (r.nextInt(6) == 0) {
                    continue;
                }
                String v = switch (k) {
                    case "text" -> r.nextInt(4) == 0 ? pick(r, JSON_VALUES) : "\"words " + i + " here\"";
                    case "label" -> r.nextInt(4) == 0 ? pick(r, JSON_VALUES) : (r.nextBoolean() ? "\"a\"" : "\"b\"");
                    case "id" -> r.nextInt(3) == 0 ? pick(r, JSON_VALUES) : Integer.toString(i);
                    default -> pick(r, JSON_VALUES);
                };
                row.append(first ? "" : ", ")
                        .append('"')
                        .append(k)
                        .append("\": ")
                        .append(v);
                first = false;
            }
            s.append(row).append("}\n");
        }
        return s.toString();
    }

    static final int[] IDX_SIZES = {
        0, 1, 2, 3, 8, 28, 4096, 4097, 65536, 100_000_000, 100_000_001, -1, Integer.MAX_VALUE
    };

    /** An IDX images file: magic, declared sizes and a data length that may or may not match. */
    static byte[] idxImages(Random r) {
        int magic = r.nextInt(5) == 0 ? r.nextInt() : r.nextInt(6) == 0 ? 0x801 : 0x803;
        int dims = (magic & 0xFF) == 1 ? 1 : 3;
        ByteBuffer h = ByteBuffer.allocate(4 + 4 * Math.max(0, Math.min(dims, 3)));
        h.putInt(magic);
        int count = r.nextInt(3) == 0 ? IDX_SIZES[r.nextInt(IDX_SIZES.length)] : 1 + r.nextInt(6);
        int side = r.nextInt(3) == 0 ? IDX_SIZES[r.nextInt(IDX_SIZES.length)] : 2 + r.nextInt(3);
        int[] sizes = {count, side, side};
        for (int i = 0; i < Math.min(dims, 3); i++) {
            h.putInt(sizes[i]);
        }
        double declared = (double) Math.max(count, 0) * Math.max(side, 0) * Math.max(side, 0); // no overflow
        int length = r.nextInt(3) == 0 ? r.nextInt(200) : (int) Math.min(declared, 4096) + (r.nextInt(4) == 0 ? 1 : 0);
        byte[] data = new byte[length];
        r.nextBytes(data);
        byte[] all = new byte[h.capacity() + data.length];
        System.arraycopy(h.array(), 0, all, 0, h.capacity());
        System.arraycopy(data, 0, all, h.capacity(), data.length);
        return all;
    }

    static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
            gz.write(content);
        }
        return b.toByteArray();
    }

    /** A terms file: version, entries with every field usual or hostile, conditions of every type. */
    static String terms(Random r) {
        StringBuilder y =
                new StringBuilder("version: ").append(value(r, "1", "2")).append("\nentries:\n");
        for (int i = 0, n = r.nextInt(4); i < n; i++) {
            y.append("  - id: ")
                    .append(value(r, "acme-" + i, "openai-api", "Bad Id", "mit"))
                    .append('\n');
            y.append("    name: ").append(value(r, "Acme", "''")).append('\n');
            y.append("    outputs_for_training: ")
                    .append(value(r, "allowed", "prohibited", "conditional", "unknown", "maybe"))
                    .append('\n');
            if (r.nextBoolean()) {
                y.append("    conditions:\n      - type: ")
                        .append(value(r, "name_prefix", "attribution_notice", "user_threshold", "other", "bogus"))
                        .append('\n');
                y.append("        ")
                        .append(value(r, "value", "text", "monthly_active_users"))
                        .append(": ")
                        .append(value(r, "Llama", "700000000"))
                        .append('\n');
            }
            y.append("    clause: ")
                    .append(value(r, "\"Outputs may be used.\""))
                    .append('\n');
            y.append("    source: ")
                    .append(value(r, "https://acme.example/terms", "ftp://x", "not a url"))
                    .append('\n');
            y.append("    read_on: ")
                    .append(value(r, "2026-11-01", "2026-13-45", "yesterday"))
                    .append('\n');
            if (r.nextInt(4) == 0) {
                y.append("    override_built_in: ")
                        .append(value(r, "true", "false"))
                        .append('\n');
            }
        }
        return y.toString();
    }
}
