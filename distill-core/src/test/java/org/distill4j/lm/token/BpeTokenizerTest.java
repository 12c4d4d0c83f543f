package org.distill4j.lm.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Byte-level BPE: training, the tokenizer contract, the file round trip and refusals. */
class BpeTokenizerTest {

    /** Tricky strings: scripts, emoji, digits, contractions, runs of spaces and newlines, controls. */
    static final List<String> TRICKY = List.of(
            "naïve café – 日本語 🙂 ŻÓŁW\n",
            "It's we're they've I'm you'll he'd DON'T",
            "  leading and trailing spaces  \n\n\tTabbed\r\nline",
            "numbers 12345 3.14159 1,000,000 x86_64 v0.36.0",
            "punctuation!!! ??? ... --- ((nested)) <a href=\"x\">",
            "\u0000\u0001 control\u007f bytes and \u00a0nbsp \u2003em-space \u3000ideographic",
            "mixedCASE camelCase snake_case kebab-case",
            "");

    /** A seeded corpus of English-like text (a few hundred KB), the same on every machine. */
    static List<String> corpus(int documents, long seed) {
        String[] words = ("the a of to and in is it for on with as by this that package library tool data "
                        + "server client files system support provides program version module network user"
                        + " kernel driver python java debian utility manager interface")
                .split(" ");
        Random r = new Random(seed);
        List<String> docs = new ArrayList<>();
        for (int d = 0; d < documents; d++) {
            StringBuilder s = new StringBuilder();
            int n = 20 + r.nextInt(60);
            for (int i = 0; i < n; i++) {
                String w = words[r.nextInt(words.length)];
                s.append(i == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w);
                s.append(r.nextInt(12) == 0 ? ". " : r.nextInt(20) == 0 ? ", " : " ");
            }
            s.append(r.nextInt(4)).append(".").append(r.nextInt(10)).append('\n');
            docs.add(s.toString());
        }
        return docs;
    }

    @Test
    void trainedTokenizerKeepsTheContractAndCompresses() {
        List<String> docs = corpus(400, 1);
        BpeTokenizer t = BpeTrainer.train(docs, 400);
        assertThat(t.vocabSize()).isEqualTo(400);
        assertThat(t.mergeCount()).isEqualTo(400 - 258);
        assertThat(t.bos()).isEqualTo(398);
        assertThat(t.eos()).isEqualTo(399);
        assertThat(t.byteLength(t.bos())).isZero();
        long bytes = 0;
        long tokens = 0;
        for (String s : concat(docs, TRICKY)) {
            int[] ids = t.encode(s);
            assertThat(t.decode(ids)).isEqualTo(s);
            assertThat(Arrays.stream(ids).allMatch(id -> id >= 0 && id < t.bos()))
                    .isTrue();
            assertThat(Arrays.stream(ids).map(t::byteLength).sum())
                    .isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
            bytes += s.getBytes(StandardCharsets.UTF_8).length;
            tokens += ids.length;
        }
        // The corpus is 37 words in a few patterns: 142 merges cover nearly every word with its space.
        assertThat((double) tokens / bytes).isLessThan(0.25);
        int[] hi = t.encode("hi");
        int[] framed = new int[hi.length + 2];
        framed[0] = t.bos();
        System.arraycopy(hi, 0, framed, 1, hi.length);
        framed[hi.length + 1] = t.eos();
        assertThat(t.decode(framed)).isEqualTo("hi");
        // "é" never occurs in the corpus: two byte tokens, and half a character decodes to U+FFFD.
        int[] e = t.encode("é");
        assertThat(e).hasSize(2);
        assertThat(t.decode(new int[] {e[0]})).isEqualTo("\uFFFD");
        assertThatThrownBy(() -> t.decode(new int[] {400})).hasMessageContaining("400");
        // Text that spells the specials' names is ordinary text.
        assertThat(t.encode("<|eos|>")).doesNotContain(t.eos()).hasSizeGreaterThan(1);
    }

    @Test
    void trainingIsDeterministicAndTheDigestTellsVocabulariesApart() {
        BpeTokenizer a = BpeTrainer.train(corpus(200, 1), 400);
        BpeTokenizer b = BpeTrainer.train(corpus(200, 1), 400);
        BpeTokenizer c = BpeTrainer.train(corpus(200, 2), 400);
        assertThat(a.identity()).isEqualTo(b.identity());
        assertThat(a.identity().digest()).hasSize(64);
        assertThat(a.identity().vocabSize()).isEqualTo(c.identity().vocabSize());
        assertThat(a.identity()).isNotEqualTo(c.identity());
        assertThat(a.identity().toString()).startsWith("bpe/v1(vocab=400,bos=398,eos=399,sha256=");
    }

    @Test
    void aSmallCorpusStopsEarlyAndTheSmallestVocabularyIsBytes() {
        BpeTokenizer t = BpeTrainer.train(List.of("abab abab"), 10_000);
        // Pairs that occur twice: only a few merges exist.
        assertThat(t.vocabSize()).isLessThan(270);
        assertThat(t.decode(t.encode("abab abab"))).isEqualTo("abab abab");
        BpeTokenizer bytes = BpeTrainer.train(List.of("anything"), BpeTrainer.MIN_VOCAB);
        assertThat(bytes.encode("héllo")).hasSize(6);
        assertThatThrownBy(() -> BpeTrainer.train(List.of("x"), 257)).hasMessageContaining("257");
    }

    @Test
    void writtenFileReadsBackToTheSameTokenizer(@TempDir Path dir) throws IOException {
        BpeTokenizer t = BpeTrainer.train(corpus(300, 3), 500);
        Path file = dir.resolve("tokenizer.json");
        t.write(file);
        BpeTokenizer back = BpeTokenizer.read(file);
        assertThat(back.identity()).isEqualTo(t.identity());
        for (String s : concat(corpus(50, 4), TRICKY)) {
            assertThat(back.encode(s)).isEqualTo(t.encode(s));
        }
        assertThat(Tokenizer.load(t.identity(), dir).identity()).isEqualTo(t.identity());
        // Newer files write each merge as a pair of strings: the same tokenizer.
        ObjectMapper json = new ObjectMapper();
        JsonNode root = json.readTree(file.toFile());
        ArrayNode pairs = json.createArrayNode();
        for (JsonNode m : root.at("/model/merges")) {
            String[] lr = m.asText().split(" ");
            pairs.addArray().add(lr[0]).add(lr[1]);
        }
        ((ObjectNode) root.get("model")).set("merges", pairs);
        Path asPairs = dir.resolve("pairs.json");
        json.writeValue(asPairs.toFile(), root);
        assertThat(BpeTokenizer.read(asPairs).identity()).isEqualTo(t.identity());
        BpeTokenizer other = BpeTrainer.train(corpus(300, 5), 500);
        assertThatThrownBy(() -> Tokenizer.load(other.identity(), dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("expected " + other.identity());
        assertThatThrownBy(() -> Tokenizer.load(t.identity(), dir.resolve("nowhere")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("tokenizer.json is missing");
    }

    @Test
    void mergesSpellingOneTokenTwoWaysShareIt() {
        // "ab"+"c" and "a"+"bc" both spell "abc": the vocabulary keeps one token for it.
        BpeTokenizer t = handMade(
                List.of(utf8("ab"), utf8("bc"), utf8("abc"), utf8("abcabc")),
                BpeTokenizer.pair('b', 'c'),
                BpeTokenizer.pair('a', 'b'),
                BpeTokenizer.pair(256, 'c'),
                BpeTokenizer.pair('a', 257),
                BpeTokenizer.pair(258, 258));
        assertThat(t.encode("abcabc")).containsExactly(259);
        assertThat(t.encode("abab")).containsExactly(256, 256);
        assertThat(t.encode("abcab")).containsExactly(258, 256);
    }

    @Test
    void malformedFilesAreRefusedByFieldAndFile(@TempDir Path dir) throws IOException {
        BpeTokenizer t = BpeTrainer.train(corpus(100, 1), 300);
        Path good = dir.resolve("good.json");
        t.write(good);
        String json = Files.readString(good);
        assertRefused(dir, json.replace("\"type\" : \"BPE\"", "\"type\" : \"WordPiece\""), "model.type");
        assertRefused(dir, json.replace("\"normalizer\" : null", "\"normalizer\" : {\"type\": \"NFC\"}"), "normalizer");
        assertRefused(
                dir, json.replace("\"add_prefix_space\" : false", "\"add_prefix_space\" : true"), "pre_tokenizer");
        assertRefused(dir, json.replace("<|eos|>", "<|end|>"), "no special token named <|eos|> for EOS");
        assertRefused(dir, json.replace("\"Ġ\" : 32,", ""), "no token has id 32");
        assertRefused(dir, json.replace("\"merges\" : [ \"", "\"merges\" : [ \"zz "), "merges[0]");
        assertRefused(dir, "{\"model\": ", "cannot read tokenizer");
        assertThatThrownBy(() -> BpeTokenizer.read(dir.resolve("missing.json"))).isInstanceOf(IOException.class);
        // GPT-2's files have one special, <|endoftext|>, for both ends of a document: accepted.
        BpeTokenizer gpt2Style = BpeTokenizer.read(good, "<|eos|>", "<|eos|>");
        assertThat(gpt2Style.bos()).isEqualTo(gpt2Style.eos()).isEqualTo(t.eos());
        assertThat(gpt2Style.decode(new int[] {gpt2Style.bos(), t.encode("a")[0], gpt2Style.eos()}))
                .isEqualTo("a");
        assertThatThrownBy(() -> BpeTokenizer.read(good, "<|bos|>", "<|nope|>"))
                .hasMessageContaining("<|nope|>")
                .hasMessageContaining("[<|bos|>, <|eos|>]");
    }

    private static void assertRefused(Path dir, String content, String message) throws IOException {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, content);
        assertThatThrownBy(() -> BpeTokenizer.read(f))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining(message);
    }

    /**
     * A tokenizer built by hand: ids 0..255 the bytes, then {@code extra} (ids from 256), then BOS
     * and EOS; GPT-2's pre-tokenizer.
     */
    static BpeTokenizer handMade(List<byte[]> extra, long... merges) {
        int n = 256 + extra.size() + 2;
        byte[][] tokens = new byte[n][];
        String[] specials = new String[n];
        for (int b = 0; b < 256; b++) {
            tokens[b] = new byte[] {(byte) b};
        }
        for (int i = 0; i < extra.size(); i++) {
            tokens[256 + i] = extra.get(i);
        }
        tokens[n - 2] = new byte[0];
        tokens[n - 1] = new byte[0];
        specials[n - 2] = "<|bos|>";
        specials[n - 1] = "<|eos|>";
        return new BpeTokenizer(tokens, specials, merges, n - 2, n - 1, PreTokenizer.GPT2, false);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
