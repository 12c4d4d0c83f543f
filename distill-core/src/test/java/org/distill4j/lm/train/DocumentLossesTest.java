package org.distill4j.lm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Per-document losses of a real (untrained, seeded) decoder on packed windows: checked against the
 * same model's per-position log-probabilities attributed to documents by their encoded lengths, a
 * route that does not look for BOS tokens, and against {@link Evaluation#of}'s totals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DocumentLossesTest {

    private static final int CONTEXT = 16;
    // Lengths chosen so that windows straddle documents and one document spans three windows; the
    // accented letters are two UTF-8 bytes each.
    private static final List<String> TEXTS = List.of(
            "apt",
            "a tool to inspect package dependencies, répertoires and more than one window of text",
            "x",
            "library for décoding",
            "ok");

    private LanguageModel lm;
    private TokenWindows windows;

    @BeforeAll
    void setUp() {
        lm = LanguageModel.create(
                new DecoderConfig(258, 1, 16, 2, CONTEXT, 0.0, Positions.LEARNED, false), ByteTokenizer.INSTANCE, 7);
        List<Document> docs = TEXTS.stream().map(t -> new Document("t", t)).toList();
        windows = TokenWindows.pack(docs, ByteTokenizer.INSTANCE, CONTEXT);
    }

    @AfterAll
    void close() {
        lm.close();
    }

    @Test
    void documentsGetTheirOwnTargetsAndBytes() {
        DocumentLosses losses = DocumentLosses.of(lm, windows, 3);
        double[] expected = byLengths();

        assertThat(losses.documents()).isEqualTo(TEXTS.size());
        for (int d = 0; d < TEXTS.size(); d++) {
            assertThat(losses.nats(d)).as("document %d", d).isCloseTo(expected[d], within(1e-4));
            assertThat(losses.bytes(d))
                    .as("document %d", d)
                    .isEqualTo(TEXTS.get(d).getBytes(StandardCharsets.UTF_8).length);
        }
        assertThat(losses.natsByDocument()).containsExactly(expected, within(1e-4));
    }

    @Test
    void totalsAreTheEvaluations() {
        DocumentLosses losses = DocumentLosses.of(lm, windows, 2);
        Evaluation whole = Evaluation.of(lm, windows, 2);

        assertThat(losses.total().tokens()).isEqualTo(whole.tokens());
        assertThat(losses.total().bytes()).isEqualTo(whole.bytes()).isEqualTo(windows.targetBytes());
        assertThat(losses.total().nats()).isCloseTo(whole.nats(), within(1e-9 * whole.nats()));
        assertThat(DocumentLosses.of(lm, windows, 5).natsByDocument())
                .as("batching does not move targets between documents")
                .containsExactly(losses.natsByDocument(), within(1e-4));
    }

    @Test
    void aShorterContextScoresTheSameDocuments() {
        DocumentLosses shorter = DocumentLosses.of(lm, windows.withContext(CONTEXT / 2), 4);

        assertThat(shorter.documents()).isEqualTo(TEXTS.size());
        assertThat(shorter.bytesByDocument())
                .containsExactly(DocumentLosses.of(lm, windows, 4).bytesByDocument());
    }

    /** -ln p of every target from the model's logits, summed by the document whose span holds it. */
    private double[] byLengths() {
        int[] end = new int[TEXTS.size()]; // exclusive end of each document's BOS ... EOS in the stream
        int at = 0;
        for (int d = 0; d < TEXTS.size(); d++) {
            at += ByteTokenizer.INSTANCE.encode(TEXTS.get(d)).length + 2;
            end[d] = at;
        }
        double[] nats = new double[TEXTS.size()];
        try (NDManager m = NDManager.newBaseManager()) {
            for (int w = 0; w < windows.size(); w++) {
                NDList b = windows.batch(m, new int[] {w});
                float[] logp = lm.logits(b.get(0)).logSoftmax(2).toFloatArray();
                long[] targets = b.get(1).toLongArray();
                for (int t = 0; t < CONTEXT; t++) {
                    if (targets[t] < 0) {
                        continue;
                    }
                    long position = (long) w * CONTEXT + t + 1; // the target's place in the stream
                    int d = 0;
                    while (position >= end[d]) {
                        d++;
                    }
                    nats[d] -= logp[t * 258 + (int) targets[t]];
                }
            }
        }
        return nats;
    }
}
