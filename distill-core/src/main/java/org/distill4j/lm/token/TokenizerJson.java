package org.distill4j.lm.token;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.distill4j.io.AtomicFiles;

/**
 * Reads and writes Hugging Face's {@code tokenizer.json} for byte-level BPE: no normalizer, a
 * {@code ByteLevel} pre-tokenizer (GPT-2's expression) or a {@code Split} expression followed by
 * {@code ByteLevel(use_regex: false)} (Llama 3, Qwen), a {@code BPE} model without subword prefix
 * or suffix, and special tokens among {@code added_tokens}. Anything else is refused by name,
 * because it would break the lossless byte round trip that bits per byte rely on.
 */
final class TokenizerJson {

    static final String BOS = "<|bos|>";
    static final String EOS = "<|eos|>";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerJson() {}

    static void write(BpeTokenizer t, Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        byte[][] tokens = t.tokens();
        String[] specials = t.specials();
        for (int id = 0; id < tokens.length; id++) {
            if (specials[id] != null) {
                ObjectNode a = added.addObject();
                a.put("id", id);
                a.put("content", specials[id]);
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", false);
                a.put("special", true);
            }
        }
        root.putNull("normalizer");
        if (t.pattern().equals(PreTokenizer.GPT2)) {
            root.set("pre_tokenizer", byteLevel(true));
        } else {
            ObjectNode seq = root.putObject("pre_tokenizer");
            seq.put("type", "Sequence");
            ArrayNode list = seq.putArray("pretokenizers");
            ObjectNode split = list.addObject();
            split.put("type", "Split");
            split.putObject("pattern").put("Regex", t.pattern());
            split.put("behavior", "Isolated");
            split.put("invert", false);
            list.add(byteLevel(false));
        }
        root.putNull("post_processor");
        root.set("decoder", byteLevel(true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", t.ignoreMerges());
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < tokens.length; id++) {
            vocab.put(specials[id] != null ? specials[id] : ByteLevel.encode(tokens[id]), id);
        }
        ArrayNode merges = model.putArray("merges");
        for (long m : t.merges()) {
            merges.add(ByteLevel.encode(tokens[(int) (m >>> 32)]) + " " + ByteLevel.encode(tokens[(int) m]));
        }
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    private static ObjectNode byteLevel(boolean useRegex) {
        ObjectNode b = JSON.createObjectNode();
        b.put("type", "ByteLevel");
        b.put("add_prefix_space", false);
        b.put("trim_offsets", true);
        b.put("use_regex", useRegex);
        return b;
    }

    static BpeTokenizer read(Path file, String bosName, String eosName) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("cannot read tokenizer " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException(file + ": not a JSON object (expected a Hugging Face tokenizer.json)");
        }
        try {
            return parse(root, bosName, eosName);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static BpeTokenizer parse(JsonNode root, String bosName, String eosName) {
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText(null))) {
            throw new IllegalArgumentException("model.type is " + model.path("type")
                    + "; distill4j reads byte-level BPE tokenizers only (GPT-2, Llama 3, Qwen), whose tokens"
                    + " stand for fixed bytes");
        }
        if (!root.path("normalizer").isMissingNode() && !root.path("normalizer").isNull()) {
            throw new IllegalArgumentException("normalizer " + root.get("normalizer")
                    + " is not supported: a normalizer changes the text, and distill4j needs decode(encode(s)) = s");
        }
        for (String field : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            JsonNode v = model.path(field);
            if (!v.isMissingNode() && !v.isNull() && !v.asText().isEmpty()) {
                throw new IllegalArgumentException(
                        "model." + field + " " + v + " is not supported (byte-level BPE has none)");
            }
        }
        String pattern = pattern(root.path("pre_tokenizer"));
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);

        TreeMap<Integer, String> specialById = new TreeMap<>();
        for (JsonNode a : root.path("added_tokens")) {
            if (!a.path("id").canConvertToInt() || !a.path("content").isTextual()) {
                throw new IllegalArgumentException("added_tokens entry " + a + " needs an integer id and a content");
            }
            if (!a.path("special").asBoolean(false)) {
                throw new IllegalArgumentException("added token " + a.get("content")
                        + " is not special; only special added tokens (no bytes) are supported");
            }
            specialById.put(a.get("id").asInt(), a.get("content").asText());
        }
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject() || vocab.isEmpty()) {
            throw new IllegalArgumentException("model.vocab is missing or empty (expected an object token -> id)");
        }
        TreeMap<Integer, byte[]> bytesById = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw new IllegalArgumentException(
                        "model.vocab[" + e.getKey() + "] = " + e.getValue() + " (expected an id >= 0)");
            }
            int id = e.getValue().asInt();
            if (specialById.containsKey(id)) {
                continue;
            }
            byte[] b;
            try {
                b = ByteLevel.decode(e.getKey());
            } catch (IllegalArgumentException x) {
                throw new IllegalArgumentException("model.vocab: " + x.getMessage());
            }
            if (bytesById.put(id, b) != null) {
                throw new IllegalArgumentException("model.vocab: id " + id + " appears twice");
            }
        }
        int size = Math.max(
                bytesById.isEmpty() ? 0 : bytesById.lastKey() + 1,
                specialById.isEmpty() ? 0 : specialById.lastKey() + 1);
        byte[][] tokens = new byte[size][];
        String[] specials = new String[size];
        for (int id = 0; id < size; id++) {
            if (specialById.containsKey(id)) {
                specials[id] = specialById.get(id);
                tokens[id] = new byte[0];
            } else if (bytesById.containsKey(id)) {
                tokens[id] = bytesById.get(id);
            } else {
                throw new IllegalArgumentException("no token has id " + id + " (ids must cover 0.." + (size - 1) + ")");
            }
        }
        Map<String, Integer> ids = new HashMap<>();
        for (Map.Entry<Integer, byte[]> e : bytesById.entrySet()) {
            ids.put(ByteLevel.encode(e.getValue()), e.getKey());
        }
        JsonNode mergeList = model.path("merges");
        if (!mergeList.isArray()) {
            throw new IllegalArgumentException("model.merges is missing (expected a list of \"left right\" strings)");
        }
        List<Long> merges = new ArrayList<>();
        for (JsonNode m : mergeList) {
            String left;
            String right;
            if (m.isTextual() && m.asText().split(" ").length == 2) {
                String[] lr = m.asText().split(" ");
                left = lr[0];
                right = lr[1];
            } else if (m.isArray() && m.size() == 2) {
                left = m.get(0).asText();
                right = m.get(1).asText();
            } else {
                throw new IllegalArgumentException(
                        "model.merges[" + merges.size() + "] = " + m + " (expected \"left right\" or [left, right])");
            }
            Integer l = ids.get(left);
            Integer r = ids.get(right);
            if (l == null || r == null) {
                throw new IllegalArgumentException(
                        "model.merges[" + merges.size() + "] = " + m + " names a token that is not in model.vocab");
            }
            merges.add(BpeTokenizer.pair(l, r));
        }
        int bos = specialId(specialById, bosName, "BOS");
        int eos = specialId(specialById, eosName, "EOS");
        return new BpeTokenizer(
                tokens,
                specials,
                merges.stream().mapToLong(Long::longValue).toArray(),
                bos,
                eos,
                pattern,
                ignoreMerges);
    }

    private static int specialId(Map<Integer, String> specials, String name, String role) {
        for (Map.Entry<Integer, String> e : specials.entrySet()) {
            if (e.getValue().equals(name)) {
                return e.getKey();
            }
        }
        throw new IllegalArgumentException("no special token named " + name + " for " + role + "; the file's special"
                + " tokens are "
                + (specials.size() > 12 ? new ArrayList<>(specials.values()).subList(0, 12) + "..." : specials.values())
                + " (name the " + role + " token in the recipe: tokenizer.bos / tokenizer.eos)");
    }

    private static String pattern(JsonNode pre) {
        if (isByteLevel(pre)) {
            if (!pre.path("use_regex").asBoolean(true)) {
                throw new IllegalArgumentException("pre_tokenizer ByteLevel with use_regex false and no Split before it"
                        + " merges across whole texts; not supported");
            }
            return PreTokenizer.GPT2;
        }
        if ("Sequence".equals(pre.path("type").asText())
                && pre.path("pretokenizers").size() == 2) {
            JsonNode split = pre.path("pretokenizers").get(0);
            JsonNode bl = pre.path("pretokenizers").get(1);
            JsonNode regex = split.path("pattern").path("Regex");
            if ("Split".equals(split.path("type").asText())
                    && regex.isTextual()
                    && "Isolated".equals(split.path("behavior").asText())
                    && !split.path("invert").asBoolean(false)
                    && isByteLevel(bl)
                    && !bl.path("use_regex").asBoolean(true)) {
                try {
                    return new PreTokenizer(regex.asText()).pattern();
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("pre_tokenizer Split pattern " + regex + " is not a valid"
                            + " Java regular expression: " + e.getMessage());
                }
            }
        }
        throw new IllegalArgumentException("pre_tokenizer " + pre + " is not supported; expected ByteLevel (GPT-2) or"
                + " Sequence[Split(Regex, Isolated), ByteLevel(use_regex: false)] (Llama 3, Qwen)");
    }

    private static boolean isByteLevel(JsonNode n) {
        return "ByteLevel".equals(n.path("type").asText())
                && !n.path("add_prefix_space").asBoolean(false);
    }
}
