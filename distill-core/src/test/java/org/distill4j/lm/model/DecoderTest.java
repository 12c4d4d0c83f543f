package org.distill4j.lm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.lm.token.BpeTokenizer;
import org.distill4j.lm.token.BpeTrainer;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DecoderTest {

    static DecoderConfig tiny(Positions positions, boolean tied) {
        return new DecoderConfig(258, 2, 32, 4, 16, 0.0, positions, tied);
    }

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Positions.class)
    void logitsHaveShapeBatchPositionsVocabAndAreCausal(Positions positions) {
        try (LanguageModel lm = LanguageModel.create(tiny(positions, false), ByteTokenizer.INSTANCE, 1);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            long[] a = {256, 'h', 'e', 'l', 'l', 'o', ' ', 'w'};
            long[] b = a.clone();
            b[6] = 'X';
            NDArray ids = m.create(new long[][] {a, b});
            NDArray logits = lm.logits(ids);
            assertThat(logits.getShape()).isEqualTo(new Shape(2, 8, 258));
            // Positions before the changed token see the same prefix: same logits; from it on they differ.
            NDArray before = logits.get(new NDIndex("0, :6"))
                    .sub(logits.get(new NDIndex("1, :6")))
                    .abs()
                    .max();
            NDArray after = logits.get(new NDIndex("0, 6:"))
                    .sub(logits.get(new NDIndex("1, 6:")))
                    .abs()
                    .max();
            assertThat(before.getFloat()).isLessThan(1e-6f);
            assertThat(after.getFloat()).isGreaterThan(1e-4f);
        }
    }

    @Test
    void parameterCountMatchesTheConfigAndTyingSavesTheHead() {
        for (Positions p : Positions.values()) {
            for (boolean tied : new boolean[] {false, true}) {
                DecoderConfig c = tiny(p, tied);
                try (LanguageModel lm = LanguageModel.create(c, ByteTokenizer.INSTANCE, 1)) {
                    assertThat(lm.parameterCount()).as(c.toString()).isEqualTo(c.parameterCount());
                }
            }
        }
        assertThat(tiny(Positions.LEARNED, false).parameterCount()
                        - tiny(Positions.LEARNED, true).parameterCount())
                .isEqualTo(258L * 32);
    }

    @Test
    void invalidConfigurationsNameTheField() {
        assertThatThrownBy(() -> new DecoderConfig(258, 2, 30, 4, 16, 0, Positions.LEARNED, false))
                .hasMessageContaining("illegal width value: 30")
                .hasMessageContaining("divisible by heads=4");
        assertThatThrownBy(() -> new DecoderConfig(258, 2, 12, 4, 16, 0, Positions.ROTARY, false))
                .hasMessageContaining("width/heads is even");
        assertThatThrownBy(() -> new DecoderConfig(258, 2, 32, 4, 16, 1.0, Positions.LEARNED, false))
                .hasMessageContaining("illegal dropout value: 1.0");
        assertThatThrownBy(() -> LanguageModel.create(
                        tiny(Positions.LEARNED, false).withVocabSize(300), ByteTokenizer.INSTANCE, 1))
                .hasMessageContaining("does not match tokenizer");
    }

    @Test
    void longerThanTheContextIsRefused() {
        try (LanguageModel lm = LanguageModel.create(tiny(Positions.LEARNED, false), ByteTokenizer.INSTANCE, 1);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertThatThrownBy(() -> lm.logits(m.zeros(new Shape(1, 17), ai.djl.ndarray.types.DataType.INT64)))
                    .hasMessageContaining("exceed the context length 16");
        }
    }

    @ParameterizedTest
    @EnumSource(Positions.class)
    void savedModelReloadsFromItsDirectoryAloneWithIdenticalLogits(Positions positions) throws Exception {
        Path saved = dir.resolve("lm-" + positions.id());
        float[] before;
        try (LanguageModel lm = LanguageModel.create(tiny(positions, true), ByteTokenizer.INSTANCE, 3);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            before = lm.logits(m.create(new long[][] {{256, 'a', 'b', 'c'}})).toFloatArray();
            lm.save(saved);
        }
        String json = Files.readString(saved.resolve(LanguageModel.DESCRIPTOR));
        assertThat(json)
                .contains("\"format\" : \"distill4j-lm\"")
                .contains("\"context_length\" : 16")
                .contains("\"positions\" : \"" + positions.id() + "\"")
                .contains("\"tied_embeddings\" : true")
                .contains("\"kind\" : \"byte\"");
        try (LanguageModel lm = LanguageModel.load(saved);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertThat(lm.config()).isEqualTo(tiny(positions, true));
            assertThat(lm.logits(m.create(new long[][] {{256, 'a', 'b', 'c'}})).toFloatArray())
                    .containsExactly(before);
        }
        assertThat(LanguageModel.contentHash(saved)).hasSize(64);
        assertThatThrownBy(() -> LanguageModel.load(dir.resolve("nothing")))
                .isInstanceOf(FileNotFoundException.class)
                .hasMessageContaining("model.json is missing");
        Files.writeString(saved.resolve(LanguageModel.DESCRIPTOR), json.replace("distill4j-lm", "other"));
        assertThatThrownBy(() -> LanguageModel.load(saved)).hasMessageContaining("expected distill4j-lm version 1");
    }

    @Test
    void modelWithATrainedTokenizerCarriesItsVocabularyInItsDirectory() throws Exception {
        BpeTokenizer bpe = BpeTrainer.train(java.util.List.of("the cat sat on the mat; the cat ate the rat"), 270);
        DecoderConfig config = tiny(Positions.ROTARY, false).withVocabSize(bpe.vocabSize());
        Path saved = dir.resolve("lm-bpe");
        int[] ids = bpe.encode("the cat");
        long[] row = new long[ids.length + 1];
        row[0] = bpe.bos();
        for (int i = 0; i < ids.length; i++) {
            row[i + 1] = ids[i];
        }
        float[] before;
        try (LanguageModel lm = LanguageModel.create(config, bpe, 5);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            before = lm.logits(m.create(new long[][] {row})).toFloatArray();
            lm.save(saved);
        }
        assertThat(saved.resolve(BpeTokenizer.FILE)).isRegularFile();
        assertThat(Files.readString(saved.resolve(LanguageModel.DESCRIPTOR)))
                .contains("\"kind\" : \"bpe\"")
                .contains(bpe.identity().digest());
        try (LanguageModel lm = LanguageModel.load(saved);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertThat(lm.tokenizer().identity()).isEqualTo(bpe.identity());
            assertThat(lm.tokenizer().encode("the mat")).containsExactly(bpe.encode("the mat"));
            assertThat(lm.logits(m.create(new long[][] {row})).toFloatArray()).containsExactly(before);
        }
        // Another vocabulary of the same size in the file: refused, not silently re-tokenized.
        BpeTrainer.train(java.util.List.of("a dog dug a log in a bog by a fog"), 270)
                .write(saved.resolve(BpeTokenizer.FILE));
        assertThatThrownBy(() -> LanguageModel.load(saved))
                .hasMessageContaining(BpeTokenizer.FILE)
                .hasMessageContaining("expected " + bpe.identity());
        Files.delete(saved.resolve(BpeTokenizer.FILE));
        assertThatThrownBy(() -> LanguageModel.load(saved)).hasMessageContaining("tokenizer.json is missing");
    }
}
