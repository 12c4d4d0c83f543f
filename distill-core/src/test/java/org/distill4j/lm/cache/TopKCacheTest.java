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
}
