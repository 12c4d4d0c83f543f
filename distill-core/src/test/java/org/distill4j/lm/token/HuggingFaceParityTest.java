package org.distill4j.lm.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.distill4j.lm.corpus.DebianCorpus;
import org.distill4j.lm.corpus.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file {@link BpeTokenizer#write} writes is a real {@code tokenizer.json}: Hugging Face's Rust
 * {@code tokenizers} library (through DJL's binding, natives from the jar, offline) loads it and
 * encodes every text to the same ids as distill4j, for GPT-2's pre-tokenizer and for Llama 3's
 * {@code Split} + {@code ignore_merges} form.
 */
class HuggingFaceParityTest {

    /** Llama 3's pre-tokenizer expression, as in its tokenizer.json. */
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
            + " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    @Test
    void gpt2StyleFileEncodesAsTheRustLibraryDoes(@TempDir Path dir) throws Exception {
        List<String> docs = BpeTokenizerTest.corpus(300, 7);
        BpeTokenizer t = BpeTrainer.train(docs, 400);
        assertSameIds(t, dir, BpeTokenizerTest.concat(BpeTokenizerTest.corpus(100, 8), BpeTokenizerTest.TRICKY));
    }

    @Test
    void llama3StyleFileEncodesAsTheRustLibraryDoes(@TempDir Path dir) throws Exception {
        BpeTokenizer g = BpeTrainer.train(BpeTokenizerTest.corpus(300, 7), 400);
        BpeTokenizer t = new BpeTokenizer(g.tokens(), g.specials(), g.merges(), g.bos(), g.eos(), LLAMA3, true);
        assertThat(t.identity()).isNotEqualTo(g.identity());
        String json = Files.readString(write(t, dir));
        assertThat(json).contains("\"Split\"").contains("\"ignore_merges\" : true");
        List<String> texts = BpeTokenizerTest.concat(BpeTokenizerTest.corpus(100, 9), BpeTokenizerTest.TRICKY);
        texts = BpeTokenizerTest.concat(texts, List.of("digits 1234567 split in threes", "line\r\n\r\nbreaks\n"));
        assertSameIds(t, dir, texts);
    }

    @Test
    void longPiecesMergeAsInTheRustLibraryAndInLinearithmicTime(@TempDir Path dir) throws Exception {
        BpeTokenizer t = BpeTrainer.train(BpeTokenizerTest.corpus(300, 7), 400);
        java.util.Random r = new java.util.Random(3);
        String[] words = {"the", "library", "package", "server", "data", "tool", "a", "is"};
        List<String> texts = new java.util.ArrayList<>();
        for (int len : new int[] {65, 100, 400, 3000}) {
            StringBuilder s = new StringBuilder();
            while (s.length() < len) {
                s.append(words[r.nextInt(words.length)]); // no spaces: one long letter piece
            }
            texts.add(s.toString());
            texts.add("x " + s + " y");
        }
        assertSameIds(t, dir, texts);
        // A 400,000-letter piece: quadratic merging would take minutes, the heap well under seconds.
        String run = "packagelibrary".repeat(400_000 / 14);
        long t0 = System.nanoTime();
        int[] ids = t.encode(run);
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5.0);
        assertThat(t.decode(ids)).isEqualTo(run);
        assertThat(ids.length).isLessThan(run.length() / 3);
    }

    @Test
    void unicodeWhitespaceSplitsAsInTheRustLibrary(@TempDir Path dir) throws Exception {
        // A merge that would join two ideographic spaces: GPT-2's expression keeps them apart only
        // if \s is Unicode-aware, as it is in the Rust library.
        byte[] ideo = "\u3000".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        BpeTokenizer t = BpeTokenizerTest.handMade(
                List.of(Arrays.copyOf(ideo, 2), ideo, BpeTokenizer.concat(ideo, ideo)),
                BpeTokenizer.pair(ideo[0] & 0xff, ideo[1] & 0xff),
                BpeTokenizer.pair(256, ideo[2] & 0xff),
                BpeTokenizer.pair(257, 257));
        assertThat(t.encode("a\u3000\u3000b")).containsExactly('a', 257, 257, 'b');
        assertSameIds(t, dir, List.of("a\u3000\u3000b", "\u3000\u3000", "x \u3000\u3000 y\u3000\u3000"));
    }

    @Test
    void ignoreMergesTakesAWholePieceThatIsAToken(@TempDir Path dir) throws Exception {
        // "abc" is a token but no merge builds it: Llama 3's rule takes it whole, merging cannot.
        BpeTokenizer h = BpeTokenizerTest.handMade(
                List.of(BpeTokenizerTest.utf8("ab"), BpeTokenizerTest.utf8("abc")), BpeTokenizer.pair('a', 'b'));
        BpeTokenizer whole = new BpeTokenizer(h.tokens(), h.specials(), h.merges(), h.bos(), h.eos(), LLAMA3, true);
        BpeTokenizer merged = new BpeTokenizer(h.tokens(), h.specials(), h.merges(), h.bos(), h.eos(), LLAMA3, false);
        assertThat(whole.encode("abc")).containsExactly(257);
        assertThat(merged.encode("abc")).containsExactly(256, 'c');
        assertSameIds(whole, dir, List.of("abc", "abc abcd ab"));
    }

    @Test
    void debianDescriptionsEncodeAsTheRustLibraryDoes(@TempDir Path dir) throws Exception {
        Path train = DebianCorpus.trainFile();
        assumeTrue(Files.isRegularFile(train), "no Debian descriptions at " + train);
        List<String> docs = DebianCorpus.read("train", 400_000).documents().stream()
                .map(Document::text)
                .toList();
        BpeTokenizer t = BpeTrainer.train(docs, 1024);
        List<String> held = DebianCorpus.read("test", 200_000).documents().stream()
                .map(Document::text)
                .toList();
        assertSameIds(t, dir, held);
        long bytes = 0;
        long tokens = 0;
        for (String s : held) {
            bytes += s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            tokens += t.encode(s).length;
        }
        // Measured: about 0.33 tokens per byte on held-out descriptions with 1,024 ids.
        assertThat((double) tokens / bytes).isBetween(0.2, 0.45);
    }

    private static Path write(BpeTokenizer t, Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        t.write(file);
        return file;
    }

    private static void assertSameIds(BpeTokenizer t, Path dir, List<String> texts) throws IOException {
        Path file = write(t, dir);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder()
                .optTokenizerPath(file)
                .optAddSpecialTokens(false)
                .optTruncation(false) // DJL's default cuts at 512 tokens
                .build()) {
            int compared = 0;
            for (String s : texts) {
                long[] theirs = hf.encode(s).getIds();
                int[] ours = t.encode(s);
                assertThat(Arrays.stream(ours).asLongStream().toArray())
                        .as("ids of %s", s)
                        .containsExactly(theirs);
                assertThat(hf.decode(theirs, false)).isEqualTo(t.decode(ours));
                compared++;
            }
            assertThat(compared).isEqualTo(texts.size());
        }
        assertThat(BpeTokenizer.read(file).identity()).isEqualTo(t.identity());
    }
}
