package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.corpus.WindowShare;
import org.distill4j.lm.loss.TeacherTargets;
import org.distill4j.lm.teacher.LocalLmTeacher;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;
import org.distill4j.teacher.http.lm.CompletionsTopKClient;
import org.distill4j.teacher.http.lm.HttpTopKCollector;
import org.distill4j.teacher.http.lm.RefusedRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11.4 over the loop: a served LM teacher's top-k collected over {@code /v1/completions} into
 * a {@link TopKCache} file equals the cache the same model builds in-process (ids exactly, log-probs
 * to float16 rounding), so a student trains on either alike.
 */
class HttpTopKCollectorTest {

    @TempDir
    static Path tmp;

    @Test
    void theHttpCacheIsTheInProcessCache() throws Exception {
        Path dir = TestLms.tiny(tmp.resolve("tiny"));
        List<Document> docs = new ArrayList<>();
        docs.add(new Document("a", "the cat sat on the mat. the dog ate the bone."));
        docs.add(new Document("b", "caf\u00e9 au lait, s'il vous pla\u00eet. a cat and a dog met."));
        docs.add(new Document("c", "the sun is hot."));
        TokenWindows windows = TokenWindows.pack(docs, ByteTokenizer.INSTANCE, 24);
        int k = 4;
        String key = "tiny|test-corpus|byte-v1|k4|T24";
        Path viaHttp = tmp.resolve("http.topk");
        Path inProcess = tmp.resolve("local.topk");
        try (ModelServer server = ModelServer.builder()
                        .optPort(0)
                        .addLanguageModel(ServedLanguageModel.load("teacher", dir))
                        .build()
                        .start();
                LocalLmTeacher local = LocalLmTeacher.load(dir)) {
            CompletionsTopKClient client = client(server, k);
            HttpTopKCollector.Result r = HttpTopKCollector.collect(viaHttp, client, k, windows, 3, key);
            assertThat(r.windows()).isEqualTo(windows.size());
            assertThat(r.positions()).isEqualTo(windows.targetTokens());
            assertThat(r.shortPositions()).isZero();
            TopKCache.build(inProcess, local, windows, k, 2, key);

            // Windows of the teacher's whole context: each request holds context + 1 tokens (the
            // window and the token after it), which a scoring request may.
            TokenWindows full = TokenWindows.pack(docs, ByteTokenizer.INSTANCE, TestLms.CONTEXT);
            HttpTopKCollector.Result atContext =
                    HttpTopKCollector.collect(tmp.resolve("at-context.topk"), client, k, full, 2, key);
            assertThat(atContext.positions()).isEqualTo(full.targetTokens());
            assertThat(atContext.shortPositions()).isZero();

            // One token wider does not fit the teacher: refused, nothing is written.
            TokenWindows wide = TokenWindows.pack(docs, ByteTokenizer.INSTANCE, TestLms.CONTEXT + 1);
            Path refused = tmp.resolve("refused.topk");
            assertThatThrownBy(() -> HttpTopKCollector.collect(refused, client, k, wide, 2, key))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("HTTP 400")
                    .hasMessageContaining("use a data.context below the teacher's context")
                    .cause()
                    .isInstanceOfSatisfying(
                            RefusedRequestException.class,
                            e -> assertThat(e.status()).isEqualTo(400));
            assertThat(Files.exists(refused)).isFalse();
        }
        try (TopKCache a = TopKCache.open(viaHttp, key);
                TopKCache b = TopKCache.open(inProcess, key);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertThat(a.positions()).isEqualTo(b.positions());
            int[] all = new int[windows.size()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            TeacherTargets.TopK ta = a.targets(m, all, 24);
            TeacherTargets.TopK tb = b.targets(m, all, 24);
            long[] ia = ta.ids().toLongArray();
            long[] ib = tb.ids().toLongArray();
            float[] la = ta.logProbs().toFloatArray();
            float[] lb = tb.logProbs().toFloatArray();
            int differentIds = 0;
            for (int i = 0; i < ia.length; i++) {
                if (ia[i] != ib[i]) {
                    differentIds++; // only possible where two log-probs tie to float rounding
                }
                assertThat(Math.abs(la[i] - lb[i]))
                        .as("entry %d", i)
                        .isLessThanOrEqualTo(0.01f + 0.002f * Math.abs(lb[i]));
            }
            assertThat(differentIds).isLessThanOrEqualTo(ia.length / 100);
        }
    }

    @Test
    void aShareOfTheWindowsIsAskedAndEqualsTheInProcessShare() throws Exception {
        Path dir = TestLms.tiny(tmp.resolve("tiny-share"));
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            docs.add(new Document("d" + i, "package " + i + " ships the tools and the library of the project."));
        }
        TokenWindows windows = TokenWindows.pack(docs, ByteTokenizer.INSTANCE, 24);
        BitSet chosen = new WindowShare(0.3, 11).select(windows.size());
        assertThat(chosen.cardinality()).isBetween(2, windows.size() - 2);
        int k = 3;
        String key = "tiny|share-corpus|k3|T24" + new WindowShare(0.3, 11).keySuffix();
        Path viaHttp = tmp.resolve("share-http.topk");
        Path inProcess = tmp.resolve("share-local.topk");
        try (ModelServer server = ModelServer.builder()
                        .optPort(0)
                        .addLanguageModel(ServedLanguageModel.load("teacher", dir))
                        .build()
                        .start();
                LocalLmTeacher local = LocalLmTeacher.load(dir)) {
            CompletionsTopKClient client = client(server, k);
            HttpTopKCollector.Result r = HttpTopKCollector.collect(viaHttp, client, k, windows, chosen, 2, key);
            assertThat(r.windows()).isEqualTo(chosen.cardinality());
            assertThat(r.requests()).isEqualTo(chosen.cardinality());
            assertThat(r.positions())
                    .isEqualTo((long) chosen.cardinality() * 24
                            - (chosen.get(windows.size() - 1)
                                    ? (long) windows.size() * 24 - windows.targetTokens()
                                    : 0));
            TopKCache.build(inProcess, local, windows, chosen, k, 2, key);
        }
        try (TopKCache a = TopKCache.open(viaHttp, key);
                TopKCache b = TopKCache.open(inProcess, key);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int w = 0; w < windows.size(); w++) {
                float[] la = a.targets(m, new int[] {w}, 24).logProbs().toFloatArray();
                float[] lb = b.targets(m, new int[] {w}, 24).logProbs().toFloatArray();
                long[] targets = windows.batch(m, new int[] {w}).get(1).toLongArray();
                for (int i = 0; i < la.length; i++) {
                    if (targets[i / k] < 0) {
                        continue; // padding past the corpus's end
                    }
                    if (chosen.get(w)) {
                        assertThat(Math.abs(la[i] - lb[i]))
                                .as("window %d entry %d", w, i)
                                .isLessThanOrEqualTo(0.01f + 0.002f * Math.abs(lb[i]));
                    } else {
                        assertThat(la[i]).as("window %d entry %d", w, i).isEqualTo(Float.NEGATIVE_INFINITY);
                        assertThat(lb[i]).isEqualTo(Float.NEGATIVE_INFINITY);
                    }
                }
            }
        }
    }

    /** A client of the served teacher's top-k, with no rate limit. */
    private static CompletionsTopKClient client(ModelServer server, int k) {
        return new CompletionsTopKClient(
                server.baseUri().resolve("/v1"),
                "teacher",
                ApiKey.none(),
                k,
                new RateLimiter(0, 0),
                RetryPolicy.DEFAULT,
                Duration.ofSeconds(30));
    }
}
