package org.distill4j.lm.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.distill4j.data.CorruptDataException;
import org.distill4j.lm.corpus.CorpusSplit.Part;
import org.distill4j.lm.experiment.LmTrainingCorpus;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.train.Evaluation;
import org.distill4j.lm.train.LmTrainer;
import org.distill4j.lm.train.LmTrainingConfig;
import org.distill4j.lm.train.TeacherSignal;
import org.distill4j.lm.train.UnigramBaseline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streamed corpus ({@link PackedCorpus}: one pass, token files) against the in-memory path
 * ({@link TextCorpus#read}, {@link CorpusSplit#bySeed}, {@link TokenWindows#pack}) on about 120 KB
 * of the Debian descriptions plus a plain-text file with multi-byte UTF-8: the same documents in
 * each part, the same windows token for token, and a short training run with the same losses and
 * bits per byte, bit for bit (one PyTorch thread, as Surefire runs every test).
 */
class PackedCorpusTest {

    private static final ByteTokenizer TOK = ByteTokenizer.INSTANCE;
    private static final long SEED = 11;

    @TempDir
    Path tmp;

    private List<Path> files() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        Path text = tmp.resolve("extra.txt");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            b.append("Paragraph ")
                    .append(i)
                    .append(" — naïve café, 東京 ")
                    .append(i * 7)
                    .append('\n');
            b.append("second line of ").append(i).append("\n\n\n");
        }
        Files.writeString(text, b.toString());
        return List.of(DebianCorpus.trainFile(), text);
    }

    private static TextCorpus.Options options() {
        return TextCorpus.Options.defaults().withMaxBytes(120_000);
    }

    private static PackedCorpus.Source source(List<Path> files, long seed) {
        return new PackedCorpus.Source(files, options(), seed, 0.1, 0.1, TOK);
    }

    private PackedCorpus packed(List<Path> files, Path dir, String key) throws Exception {
        return PackedCorpus.openOrBuild(dir, key, source(files, SEED));
    }

    @Test
    void streamedPartsAndWindowsEqualTheInMemoryPathTokenForToken() throws Exception {
        List<Path> files = files();
        // The byte limit stops inside the first file: read the second one on its own as well.
        for (List<Path> input : List.of(files, List.of(files.get(1)))) {
            TextCorpus corpus = TextCorpus.read(input, options());
            CorpusSplit split = CorpusSplit.bySeed(corpus.documents(), SEED, 0.1, 0.1);
            Path dir = tmp.resolve("packed-" + input.size());
            try (PackedCorpus p = packed(input, dir, "k")) {
                assertThat(p.summary().documents()).isEqualTo(corpus.documents().size());
                assertThat(p.summary().bytes()).isEqualTo(corpus.bytes());
                assertThat(p.summary().contentHash()).isEqualTo(corpus.contentHash());
                List<List<Document>> lists = List.of(split.train(), split.validation(), split.test());
                for (Part part : Part.values()) {
                    List<Document> docs = lists.get(part.ordinal());
                    assertThat(docs).as(part.name()).isNotEmpty();
                    assertThat(p.part(part).documents()).isEqualTo(docs.size());
                    assertThat(p.part(part).sha256()).isEqualTo(LmTrainingCorpus.documentsHash(docs));
                    for (int ctx : new int[] {7, 64}) {
                        TokenWindows mem = TokenWindows.pack(docs, TOK, ctx);
                        TokenWindows file = p.windows(part, ctx);
                        assertSameWindows(mem, file);
                        assertSameWindows(mem, p.windows(part, 5).withContext(ctx));
                    }
                }
                TokenWindows memTrain = TokenWindows.pack(split.train(), TOK, 32);
                TokenWindows memVal = TokenWindows.pack(split.validation(), TOK, 32);
                assertThat(UnigramBaseline.fit(p.windows(Part.TRAIN, 32), 258)
                                .evaluate(p.windows(Part.VALIDATION, 32))
                                .bitsPerByte())
                        .isEqualTo(UnigramBaseline.fit(memTrain, 258)
                                .evaluate(memVal)
                                .bitsPerByte());
            }
        }
    }

    private static void assertSameWindows(TokenWindows mem, TokenWindows file) {
        assertThat(file.size()).isEqualTo(mem.size());
        assertThat(file.contextLength()).isEqualTo(mem.contextLength());
        assertThat(file.targetTokens()).isEqualTo(mem.targetTokens());
        assertThat(file.targetBytes()).isEqualTo(mem.targetBytes());
        assertThat(file.stream()).isEqualTo(mem.stream());
        for (int i = 0; i < mem.size(); i++) {
            assertThat(file.input(i)).isEqualTo(mem.input(i));
            assertThat(file.target(i)).isEqualTo(mem.target(i));
        }
        int[] idx = {mem.size() - 1, 0, mem.size() / 2};
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDList a = mem.batch(m, idx);
            NDList b = file.batch(m, idx);
            assertThat(b.get(0).toLongArray()).isEqualTo(a.get(0).toLongArray());
            assertThat(b.get(1).toLongArray()).isEqualTo(a.get(1).toLongArray());
        }
    }

    @Test
    void aShortTrainingFromTheTokenFilesIsBitIdenticalToTrainingInMemory() throws Exception {
        List<Path> files = files();
        TextCorpus corpus = TextCorpus.read(files, options());
        CorpusSplit split = CorpusSplit.bySeed(corpus.documents(), SEED, 0.1, 0.1);
        DecoderConfig config = new DecoderConfig(258, 1, 32, 2, 32, 0.0, Positions.ROTARY, false);
        LmTrainingConfig run = new LmTrainingConfig(25, 8, 3e-3, 5, 3);
        float[] memLosses;
        double memBpb;
        try (LanguageModel lm = LanguageModel.create(config, TOK, 5)) {
            memLosses = LmTrainer.train(
                            lm,
                            TokenWindows.pack(split.train(), TOK, 32),
                            new TokenCrossEntropy(),
                            TeacherSignal.none(),
                            run)
                    .losses();
            memBpb = Evaluation.of(lm, TokenWindows.pack(split.validation(), TOK, 32), 16)
                    .bitsPerByte();
        }
        try (PackedCorpus p = packed(files, tmp.resolve("packed"), "k");
                LanguageModel lm = LanguageModel.create(config, TOK, 5)) {
            float[] losses = LmTrainer.train(
                            lm, p.windows(Part.TRAIN, 32), new TokenCrossEntropy(), TeacherSignal.none(), run)
                    .losses();
            double bpb = Evaluation.of(lm, p.windows(Part.VALIDATION, 32), 16).bitsPerByte();
            assertThat(losses).isEqualTo(memLosses);
            assertThat(bpb).isEqualTo(memBpb);
            assertThat(losses[losses.length - 1]).isLessThan(losses[0]);
        }
    }

    @Test
    void aPackedDirectoryIsReusedUnderItsKeyAndRebuiltUnderAnother() throws Exception {
        List<Path> files = files();
        Path dir = tmp.resolve("packed");
        String hash;
        try (PackedCorpus p = packed(files, dir, "first")) {
            assertThat(p.reused()).isFalse();
            hash = p.part(Part.TRAIN).sha256();
        }
        try (PackedCorpus p = packed(files, dir, "first")) {
            assertThat(p.reused()).isTrue();
            assertThat(p.part(Part.TRAIN).sha256()).isEqualTo(hash);
            assertThat(p.windows(Part.TRAIN, 16).size()).isPositive();
        }
        try (PackedCorpus p = PackedCorpus.openOrBuild(dir, "second", source(files, SEED + 1))) {
            assertThat(p.reused()).isFalse();
            assertThat(p.part(Part.TRAIN).sha256()).isNotEqualTo(hash);
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(f -> f.getFileName().toString()).sorted())
                    .containsExactly("corpus.json", "test.tokens", "train.tokens", "validation.tokens");
        }
    }

    @Test
    void aDamagedTokenFileIsRefusedByName() throws Exception {
        List<Path> files = files();
        Path dir = tmp.resolve("packed");
        packed(files, dir, "k").close();
        Path train = dir.resolve("train.tokens");
        try (FileChannel ch = FileChannel.open(train, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 2);
        }
        assertThatThrownBy(() -> packed(files, dir, "k"))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(train.toString())
                .hasMessageContaining("truncated");
        Files.write(train, "not tokens at all, not tokens at all".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> TokenFile.open(train, TOK))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(train.toString())
                .hasMessageContaining("not a distill4j token file");
    }

    @Test
    void badInputIsNamedByFileAndLineAndLeavesNoPackedCorpusBehind() throws Exception {
        Path bad = tmp.resolve("bad.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            lines.add("{\"text\": \"document number " + i + "\"}");
        }
        lines.add("{\"txt\": \"wrong field\"}");
        Files.write(bad, lines);
        Path dir = tmp.resolve("packed");
        assertThatThrownBy(() -> PackedCorpus.build(dir, "k", source(List.of(bad), SEED)))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(bad + ":51: expected a JSON object with a string \"text\" field");
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
        Path latin1 = tmp.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'o', 'k', '\n', '\n', 'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> PackedCorpus.build(dir, "k", source(List.of(latin1), SEED)))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(latin1 + ":3: invalid UTF-8");
        Files.write(bad, lines.subList(0, 3));
        assertThatThrownBy(() -> PackedCorpus.build(dir, "k", source(List.of(bad), SEED)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("corpus of 3 documents is too small to split");
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }
}
