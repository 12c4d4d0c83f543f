package org.distill4j.lm.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.distill4j.lm.corpus.CorpusSplit.Part;
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
 * Bounded memory: a child JVM with a 48 MB heap packs a generated 150 MB corpus (3x its heap; the
 * Debian descriptions repeated, each copy numbered) into token files and trains a tiny language
 * model a few steps from them; the in-memory path in the same heap runs out of memory.
 */
class PackedCorpusMemoryTest {

    private static final int HEAP_MB = 48;
    private static final long CORPUS_BYTES = 150L << 20;

    @TempDir
    Path tmp;

    @Test
    void aCorpusThreeTimesTheHeapTrainsFromTokenFilesWhileTheInMemoryPathRunsOutOfMemory() throws Exception {
        assumeTrue(Files.isRegularFile(DebianCorpus.trainFile()), "no Debian descriptions");
        Path corpus = tmp.resolve("big.txt");
        long written = generate(corpus, CORPUS_BYTES);
        assertThat(written).isGreaterThan(3L * HEAP_MB << 20);

        String streamed = child("stream", corpus, tmp.resolve("packed"));
        assertThat(streamed).contains("trained").doesNotContain("OutOfMemoryError");
        long maxHeap = Long.parseLong(value(streamed, "max_heap"));
        assertThat(maxHeap).isLessThanOrEqualTo((long) HEAP_MB << 20);
        // Every byte of the corpus is a token in one of the three files (plus BOS and EOS per document).
        long tokens = Long.parseLong(value(streamed, "tokens"));
        long documents = Long.parseLong(value(streamed, "documents"));
        long bytes = Long.parseLong(value(streamed, "bytes"));
        assertThat(tokens).isEqualTo(bytes + 2 * documents);
        assertThat(bytes).isGreaterThan(written * 9 / 10);
        assertThat(Double.parseDouble(value(streamed, "last_loss")))
                .isLessThan(Double.parseDouble(value(streamed, "first_loss")));
        assertThat(Double.parseDouble(value(streamed, "bpb"))).isBetween(0.5, 9.0);

        String inMemory = child("memory", corpus, tmp.resolve("unused"));
        assertThat(inMemory).contains("OutOfMemoryError");
    }

    private static String value(String out, String key) {
        for (String w : out.split("\\s+")) {
            if (w.startsWith(key + "=")) {
                return w.substring(key.length() + 1);
            }
        }
        throw new AssertionError("no " + key + " in " + out);
    }

    /** Writes the Debian training documents again and again, each copy numbered, as plain text. */
    private static long generate(Path file, long bytes) throws Exception {
        List<Document> docs = DebianCorpus.read("train", 2_000_000).documents();
        long n = 0;
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int copy = 0; n < bytes; copy++) {
                for (int i = 0; i < docs.size() && n < bytes; i++) {
                    String text = "#" + copy + " " + docs.get(i).text().replace("\n\n", "\n") + "\n\n";
                    w.write(text);
                    n += text.getBytes(StandardCharsets.UTF_8).length;
                }
            }
        }
        return Files.size(file);
    }

    private static String child(String mode, Path corpus, Path dir) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + HEAP_MB + "m",
                "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp",
                System.getProperty("java.class.path"),
                Child.class.getName(),
                mode,
                corpus.toString(),
                dir.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Process p = pb.start();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
        }
        assertThat(done).as("finished within 120 s: " + out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    /** The child JVM: {@code stream|memory CORPUS DIR}. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path corpus = Path.of(args[1]);
            TextCorpus.Options options = TextCorpus.Options.defaults();
            ByteTokenizer tok = ByteTokenizer.INSTANCE;
            if (args[0].equals("memory")) {
                try {
                    TextCorpus c = TextCorpus.read(List.of(corpus), options);
                    CorpusSplit s = CorpusSplit.bySeed(c.documents(), 1, 0.0002, 0.0002);
                    System.out.println(
                            "packed " + TokenWindows.pack(s.train(), tok, 32).size());
                } catch (OutOfMemoryError e) {
                    System.out.println("OutOfMemoryError: " + e.getMessage());
                }
                return;
            }
            try (PackedCorpus p = PackedCorpus.build(
                            Path.of(args[2]),
                            "k",
                            new PackedCorpus.Source(List.of(corpus), options, 1, 0.0002, 0.0002, tok));
                    LanguageModel lm = LanguageModel.create(
                            new DecoderConfig(258, 1, 16, 2, 32, 0.0, Positions.ROTARY, false), tok, 1)) {
                TokenWindows train = p.windows(Part.TRAIN, 32);
                TokenWindows val = p.windows(Part.VALIDATION, 32);
                float[] losses = LmTrainer.train(
                                lm,
                                train,
                                new TokenCrossEntropy(),
                                TeacherSignal.none(),
                                new LmTrainingConfig(30, 8, 1e-2, 2, 1))
                        .losses();
                double unigram = UnigramBaseline.fit(train, 258).evaluate(val).bitsPerByte();
                long tokens = 0;
                for (Part part : Part.values()) {
                    tokens += p.part(part).tokens();
                }
                System.out.printf(
                        java.util.Locale.ROOT,
                        "trained windows=%d documents=%d bytes=%d tokens=%d first_loss=%f last_loss=%f bpb=%f "
                                + "unigram_bpb=%f max_heap=%d%n",
                        train.size(),
                        p.summary().documents(),
                        p.summary().bytes(),
                        tokens,
                        (losses[0] + losses[1] + losses[2]) / 3,
                        (losses[27] + losses[28] + losses[29]) / 3,
                        Evaluation.of(lm, val, 16).bitsPerByte(),
                        unigram,
                        Runtime.getRuntime().maxMemory());
            }
        }
    }
}
