package org.distill4j.server;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.corpus.Document;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.BpeTrainer;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.token.Tokenizer;
import org.distill4j.lm.train.LmTrainer;
import org.distill4j.lm.train.LmTrainingConfig;
import org.distill4j.lm.train.TeacherSignal;

/**
 * A tiny byte-level language model for serving tests: 1 layer, width 32, context 64, trained for
 * 60 seeded steps on a few repeated English sentences, so greedy text is mostly ASCII with
 * recognisable words. Takes a few seconds.
 */
final class TestLms {

    static final int CONTEXT = 64;
    static final DecoderConfig CONFIG = new DecoderConfig(258, 1, 32, 2, CONTEXT, 0.0, Positions.LEARNED, false);
    private static final String[] SENTENCES = {
        "the cat sat on the mat. ",
        "the dog ate the bone. ",
        "a cat and a dog met on the mat. ",
        "the sun is hot and the sea is blue. ",
        "caf\u00e9 au lait, s'il vous pla\u00eet. ",
    };

    private TestLms() {}

    /** Trains the tiny model and saves it into {@code dir}. */
    static Path tiny(Path dir) throws Exception {
        return tiny(dir, ByteTokenizer.INSTANCE);
    }

    /**
     * The tiny model with a byte-level BPE of {@code vocab} ids trained on its sentences: most words
     * are one or two tokens, "café" has a token that ends inside the "é".
     */
    static Path tinyBpe(Path dir, int vocab) throws Exception {
        return tiny(
                dir, BpeTrainer.train(documents().stream().map(Document::text).toList(), vocab));
    }

    private static Path tiny(Path dir, Tokenizer tokenizer) throws Exception {
        TokenWindows windows = TokenWindows.pack(documents(), tokenizer, CONTEXT);
        try (LanguageModel lm = LanguageModel.create(CONFIG.withVocabSize(tokenizer.vocabSize()), tokenizer, 11)) {
            LmTrainer.train(
                    lm,
                    windows,
                    new TokenCrossEntropy(),
                    TeacherSignal.none(),
                    new LmTrainingConfig(60, 8, 1e-2, 5, 3));
            lm.save(dir);
        }
        return dir;
    }

    private static List<Document> documents() {
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            StringBuilder s = new StringBuilder();
            for (int j = 0; j < 6; j++) {
                s.append(SENTENCES[(i * 7 + j * 3) % SENTENCES.length]);
            }
            docs.add(new Document("doc" + i, s.toString()));
        }
        return docs;
    }

    /** The model's own logits of {@code ids} alone, (T, V), straight from {@link LanguageModel#logits}. */
    static float[] directLogits(LanguageModel lm, int[] ids) {
        try (NDManager m = lm.model().getNDManager().newSubManager()) {
            NDArray out = lm.logits(m.create(ids, new Shape(1, ids.length)));
            return out.toFloatArray();
        }
    }

    /** BOS and the UTF-8 bytes of {@code text}. */
    static int[] prompt(String text) {
        int[] body = ByteTokenizer.INSTANCE.encode(text);
        int[] ids = new int[body.length + 1];
        ids[0] = ByteTokenizer.BOS;
        System.arraycopy(body, 0, ids, 1, body.length);
        return ids;
    }
}
