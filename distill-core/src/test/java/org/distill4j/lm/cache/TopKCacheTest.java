package org.distill4j.lm.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.CorruptDataException;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.TeacherTargets;
import org.distill4j.lm.loss.TopKKl;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.train.LmTrainer;
import org.distill4j.lm.train.LmTrainingConfig;
import org.distill4j.lm.train.TeacherSignal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopKCacheTest {

    @TempDir
    Path dir;

    private static TokenWindows windows() {
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            docs.add(new Document("d" + i, "package number " + i + " provides a small library for tests"));
        }
        return TokenWindows.pack(docs, ByteTokenizer.INSTANCE, 16);
    }

    @Test
    void halfPrecisionRoundTripsLogProbabilities() {
        for (float f : new float[] {0f, -0.5f, -1e-3f, -2.302585f, -17.25f, -65504f, 1e-7f}) {
            float back = Half.toFloat(Half.fromFloat(f));
            assertThat(Math.abs(back - f)).as("%s -> %s", f, back).isLessThanOrEqualTo(Math.abs(f) / 1024 + 6e-8f);
        }
        assertThat(Half.toFloat(Half.fromFloat(Float.NEGATIVE_INFINITY))).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Half.toFloat(Half.fromFloat(-1e6f))).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Half.fromFloat(1.0f)).isEqualTo((short) 0x3c00);
        assertThat(Half.fromFloat(-2.0f)).isEqualTo((short) 0xc000);
    }

    @Test
    void cachedTopKEqualsTheTeachersOwnTopKAndTrainsTheSame() throws Exception {
        TokenWindows w = windows();
        Path file = dir.resolve("teacher.topk");
        DecoderConfig cfg = new DecoderConfig(258, 1, 32, 2, 16, 0.0, Positions.LEARNED, false);
        try (LanguageModel teacher = LanguageModel.create(cfg, ByteTokenizer.INSTANCE, 4)) {
            TopKCache.build(file, org.distill4j.lm.teacher.LocalLmTeacher.of(teacher, "t"), w, 5, 4, "teacher=t1;k=5");
            assertThat(Files.size(file)).isEqualTo(8 + 20 + "teacher=t1;k=5".length() + w.targetTokens() * 5 * 6);
            try (TopKCache cache = TopKCache.open(file, "teacher=t1;k=5");
                    NDManager m = NDManager.newBaseManager("PyTorch")) {
                assertThat(cache.positions()).isEqualTo(w.targetTokens());
                int[] idx = {0, w.size() - 1};
                NDList batch = w.batch(m, idx);
                TeacherTargets.TopK direct =
                        (TeacherTargets.TopK) new TopKKl(5, 1.0).targetsFrom(teacher.logits(batch.get(0)), 0);
                TeacherTargets.TopK cached = cache.targets(m, idx, 16);
                long[] targets = batch.get(1).toLongArray();
                long[] di = direct.ids().toLongArray();
                long[] ci = cached.ids().toLongArray();
                float[] dl = direct.logProbs().toFloatArray();
                float[] cl = cached.logProbs().toFloatArray();
                for (int i = 0; i < di.length; i++) {
                    if (targets[i / 5] < 0) {
                        assertThat(ci[i]).as("padding id").isZero();
                        continue;
                    }
                    assertThat(ci[i]).as("id %d", i).isEqualTo(di[i]);
                    assertThat(Math.abs(cl[i] - dl[i])).as("log-prob %d", i).isLessThanOrEqualTo((float)
                            (Math.abs(dl[i]) / 1024 + 1e-6));
                }
            }
            // Training from the cache follows training from the live teacher (float16 rounding only).
            LmTrainingConfig run = new LmTrainingConfig(5, 4, 3e-3, 0, 9);
            float[] live;
            try (LanguageModel s = LanguageModel.create(cfg, ByteTokenizer.INSTANCE, 5)) {
                live = LmTrainer.train(s, w, new TopKKl(5, 0.5), teacher, run).losses();
            }
            try (LanguageModel s = LanguageModel.create(cfg, ByteTokenizer.INSTANCE, 5);
                    TopKCache cache = TopKCache.open(file, "teacher=t1;k=5")) {
                float[] fromCache = LmTrainer.train(s, w, new TopKKl(5, 0.5), TeacherSignal.cached(cache, 16), run)
                        .losses();
                for (int i = 0; i < live.length; i++) {
                    assertThat(fromCache[i])
                            .as("step %d", i)
                            .isCloseTo(live[i], org.assertj.core.api.Assertions.within(2e-3f));
                }
            }
        }
    }

    @Test
    void aShareOfTheWindowsHoldsTheTeachersTopKAndTheRestIsAbsent() throws Exception {
        TokenWindows w = windows();
        int k = 4;
        java.util.BitSet chosen = new org.distill4j.lm.corpus.WindowShare(0.25, 3).select(w.size());
        assertThat(chosen.cardinality()).isEqualTo(Math.round(0.25 * w.size()));
        assertThat(chosen.get(w.size() - 1))
                .as("the test wants the short last window left out")
                .isFalse();
        try (LanguageModel teacher = LanguageModel.create(
                        new DecoderConfig(258, 1, 16, 2, 16, 0.0, Positions.LEARNED, false),
                        ByteTokenizer.INSTANCE,
                        6);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            var lt = org.distill4j.lm.teacher.LocalLmTeacher.of(teacher, "t");
            Path full = dir.resolve("full.topk");
            Path part = dir.resolve("share.topk");
            TopKCache.build(full, lt, w, k, 3, "key");
            TopKCache.build(part, lt, w, chosen, k, 3, "key");
            assertThat(Files.size(part)).isEqualTo(Files.size(full));
            try (TopKCache a = TopKCache.open(full, "key");
                    TopKCache b = TopKCache.open(part, "key")) {
                for (int i = 0; i < w.size(); i++) {
                    TeacherTargets.TopK ta = a.targets(m, new int[] {i}, 16);
                    TeacherTargets.TopK tb = b.targets(m, new int[] {i}, 16);
                    long[] targets = w.batch(m, new int[] {i}).get(1).toLongArray();
                    float[] lb = tb.logProbs().toFloatArray();
                    if (chosen.get(i)) {
                        assertThat(tb.ids().toLongArray())
                                .as("window %d", i)
                                .isEqualTo(ta.ids().toLongArray());
                        assertThat(lb)
                                .as("window %d", i)
                                .isEqualTo(ta.logProbs().toFloatArray());
                    } else {
                        for (int r = 0; r < lb.length; r++) {
                            if (targets[r / k] >= 0) {
                                assertThat(lb[r]).as("window %d entry %d", i, r).isEqualTo(Float.NEGATIVE_INFINITY);
                            }
                        }
                    }
                }
                // A batch of windows the teacher was not asked about trains on cross-entropy alone.
                int[] left = java.util.stream.IntStream.range(0, w.size())
                        .filter(i -> !chosen.get(i))
                        .limit(3)
                        .toArray();
                NDList batch = w.batch(m, left);
                assertCrossEntropyOnly(teacher, batch, b.targets(m, left, 16), k);
                // A mixed batch: over all positions, the distillation term is the mean over the
                // positions with entries times their share of the batch's real positions.
                int[] mixed = {chosen.nextSetBit(0), left[0], chosen.nextSetBit(chosen.nextSetBit(0) + 1), left[1]};
                NDList mb = w.batch(m, mixed);
                TeacherTargets.TopK mt = b.targets(m, mixed, 16);
                var logits = teacher.logits(mb.get(0));
                float present =
                        new TopKKl(k, 0.75).terms(logits, mb.get(1), mt).soft().getFloat();
                float overAll = new TopKKl(k, 0.75, true)
                        .terms(logits, mb.get(1), mt)
                        .soft()
                        .getFloat();
                long[] y = mb.get(1).toLongArray();
                int real = 0;
                int withEntries = 0;
                for (int i = 0; i < y.length; i++) {
                    if (y[i] >= 0) {
                        real++;
                        withEntries += i / 16 == 0 || i / 16 == 2 ? 1 : 0;
                    }
                }
                assertThat(present).isPositive();
                assertThat(overAll)
                        .isCloseTo(present * withEntries / real, org.assertj.core.api.Assertions.within(1e-5f));
            }
        }
    }

    /** The loss on targets with no entry: no distillation term, the cross-entropy weighted by 1 - alpha. */
    private static void assertCrossEntropyOnly(LanguageModel model, NDList batch, TeacherTargets.TopK absent, int k) {
        var logits = model.logits(batch.get(0));
        var terms = new TopKKl(k, 0.75).terms(logits, batch.get(1), absent);
        var plain = new org.distill4j.lm.loss.TokenCrossEntropy().terms(logits, batch.get(1), absent);
        assertThat(terms.soft().getFloat()).isZero();
        assertThat(plain.total().getFloat()).isGreaterThan(1f);
        assertThat(terms.total().getFloat())
                .isCloseTo(0.25f * plain.total().getFloat(), org.assertj.core.api.Assertions.within(1e-5f));
    }

    @Test
    void aCorruptOrForeignCacheIsRefusedNamingTheFile() throws Exception {
        TokenWindows w = windows();
        Path file = dir.resolve("c.topk");
        try (LanguageModel teacher = LanguageModel.create(
                new DecoderConfig(258, 1, 16, 2, 16, 0.0, Positions.LEARNED, false), ByteTokenizer.INSTANCE, 4)) {
            TopKCache.build(file, org.distill4j.lm.teacher.LocalLmTeacher.of(teacher, "t"), w, 3, 8, "key-a");
        }
        assertThatThrownBy(() -> TopKCache.open(file, "key-b"))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("built for key 'key-a' vs expected 'key-b'");
        byte[] bytes = Files.readAllBytes(file);
        Path truncated = dir.resolve("t.topk");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 7));
        assertThatThrownBy(() -> TopKCache.open(truncated, "key-a"))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("truncated");
        Path other = dir.resolve("o.topk");
        Files.writeString(other, "{\"not\": \"a cache\", \"padding\": \"....................\"}");
        assertThatThrownBy(() -> TopKCache.open(other, "key-a")).hasMessageContaining("not a top-k cache");
    }

    @Test
    void buildWritesTheSameBytesAsWriteFillingWindowsInAnyOrder() throws Exception {
        TokenWindows w = windows();
        int k = 4;
        try (LanguageModel teacher = LanguageModel.create(
                        new DecoderConfig(258, 1, 16, 2, 16, 0.0, Positions.LEARNED, false),
                        ByteTokenizer.INSTANCE,
                        6);
                NDManager root = NDManager.newBaseManager("PyTorch")) {
            var lt = org.distill4j.lm.teacher.LocalLmTeacher.of(teacher, "t");
            Path built = dir.resolve("built.topk");
            TopKCache.build(built, lt, w, k, 3, "key");
            // The reference: every window's top-k put through write()'s mapped regions, one window at a time.
            Path filled = dir.resolve("filled.topk");
            TopKCache.write(filled, k, w.targetTokens(), "key", rows -> {
                for (int i = w.size() - 1; i >= 0; i--) { // in reverse: write() takes rows in any order
                    try (NDManager m = root.newSubManager()) {
                        NDList top = teacher.logits(w.batch(m, new int[] {i}).get(0))
                                .logSoftmax(2)
                                .topK(k, 2, true, true);
                        float[] lp = top.get(0).toFloatArray();
                        long[] id = top.get(1)
                                .toType(ai.djl.ndarray.types.DataType.INT64, false)
                                .toLongArray();
                        int[] id32 = new int[id.length];
                        for (int r = 0; r < id.length; r++) {
                            id32[r] = (int) id[r];
                        }
                        long first = (long) i * 16;
                        rows.put(first, (int) Math.min(16, rows.positions() - first), id32, lp);
                    }
                }
            });
            assertThat(Files.readAllBytes(built)).isEqualTo(Files.readAllBytes(filled));
        }
    }

    @Test
    void aCacheLargerThanOneMappedRegionIsReadAtAnyPosition() throws Exception {
        // 30 million positions x k=20: 2.4 GB of ids, past what one mapped region (2 GiB) holds. A
        // sparse file: only the header and the rows of the last window are written.
        int k = 20;
        int t = 16;
        long positions = 30_000_000L + 5;
        String key = "big";
        Path file = dir.resolve("big.topk");
        long dataStart = 8 + 20 + key.length();
        long lpStart = dataStart + positions * k * 4;
        int last = (int) ((positions + t - 1) / t) - 1;
        long first = (long) last * t;
        int rows = (int) (positions - first);
        try (var ch = java.nio.channels.FileChannel.open(
                file, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            var head = java.nio.ByteBuffer.allocate((int) dataStart).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            head.put("D4JTOPK1".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                    .putInt(1)
                    .putInt(k)
                    .putLong(positions)
                    .putInt(key.length())
                    .put(key.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            ch.write(head.flip(), 0);
            var ids = java.nio.ByteBuffer.allocate(rows * k * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            var lps = java.nio.ByteBuffer.allocate(rows * k * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < rows * k; r++) {
                ids.putInt(r % 258);
                lps.putShort(Half.fromFloat(-r / 8f));
            }
            ch.write(ids.flip(), dataStart + first * k * 4);
            ch.write(lps.flip(), lpStart + first * k * 2);
        }
        assertThat(Files.size(file)).isEqualTo(TopKCache.fileLength(k, positions, key));
        try (TopKCache cache = TopKCache.open(file, key);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            TeacherTargets.TopK got = cache.targets(m, new int[] {last, 0}, t);
            long[] ids = got.ids().toLongArray();
            float[] lps = got.logProbs().toFloatArray();
            for (int r = 0; r < t * k; r++) {
                assertThat(ids[r]).as("id %d", r).isEqualTo(r < rows * k ? r % 258 : 0);
                assertThat(lps[r])
                        .as("log-prob %d", r)
                        .isEqualTo(r < rows * k ? Half.toFloat(Half.fromFloat(-r / 8f)) : 0f);
                assertThat(ids[t * k + r])
                        .as("an unwritten (sparse) row of window 0")
                        .isZero();
            }
        }
    }

    @Test
    void writeFillsACacheLargerThanOneMappedRegion() throws Exception {
        // 30 million positions x k=20: 2.4 GB of ids, past one mapped region (2 GiB, the old limit of
        // write()). Sparse: only the first and the last rows are put.
        int k = 20;
        long positions = 30_000_000L + 5;
        String key = "big-write";
        Path file = dir.resolve("big-write.topk");
        int rows = 5;
        int[] ids = new int[rows * k];
        float[] lps = new float[rows * k];
        for (int r = 0; r < ids.length; r++) {
            ids[r] = 1 + r % 257;
            lps[r] = -r / 8f;
        }
        TopKCache.write(file, k, positions, key, out -> {
            out.put(positions - rows, rows, ids, lps);
            out.put(0, rows, ids, lps);
        });
        assertThat(Files.size(file)).isEqualTo(TopKCache.fileLength(k, positions, key));
        int t = 16;
        int last = (int) ((positions + t - 1) / t) - 1; // its 5 real positions are the 5 put last
        try (TopKCache cache = TopKCache.open(file, key);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            TeacherTargets.TopK got = cache.targets(m, new int[] {last, 0}, t);
            long[] gotIds = got.ids().toLongArray();
            float[] gotLps = got.logProbs().toFloatArray();
            for (int r = 0; r < rows * k; r++) {
                assertThat(gotIds[r]).as("last window, id %d", r).isEqualTo(ids[r]);
                assertThat(gotLps[r]).as("last window, log-prob %d", r).isEqualTo(Half.toFloat(Half.fromFloat(lps[r])));
                assertThat(gotIds[t * k + r]).as("window 0, id %d", r).isEqualTo(ids[r]);
            }
            assertThat(gotIds[t * k + rows * k]).as("a row never put").isZero();
        }
        assertThatThrownBy(() -> TopKCache.write(dir.resolve("x.topk"), k, 10, key, out -> out.put(8, 5, ids, lps)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("do not fit 10 positions");
        assertThat(dir.resolve("x.topk")).doesNotExist();
    }
}
