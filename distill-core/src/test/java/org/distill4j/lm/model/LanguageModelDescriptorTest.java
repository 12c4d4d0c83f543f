package org.distill4j.lm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A saved language model's descriptor read without its weights, and the errors that name the file. */
class LanguageModelDescriptorTest {

    @Test
    void readsTheArchitectureAndTokenizerOfASavedModelAndNamesABadFile(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("lm");
        DecoderConfig config = new DecoderConfig(258, 1, 16, 2, 24, 0.0, Positions.ROTARY, false);
        try (LanguageModel lm = LanguageModel.create(config, ByteTokenizer.INSTANCE, 1)) {
            lm.save(dir);
        }
        LanguageModel.Descriptor d = LanguageModel.descriptor(dir);
        assertThat(d.tokenizer()).isEqualTo(ByteTokenizer.INSTANCE.identity());
        assertThat(d.decoder()).isEqualTo(config);
        // The weights are not read: a descriptor is there even when the parameters are gone.
        Files.delete(dir.resolve(LanguageModel.PARAMS));
        assertThat(LanguageModel.descriptor(dir).decoder().contextLength()).isEqualTo(24);
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(LanguageModel.PARAMS);

        assertThatThrownBy(() -> LanguageModel.descriptor(tmp.resolve("none")))
                .isInstanceOf(FileNotFoundException.class)
                .hasMessageContaining(
                        tmp.resolve("none").resolve(LanguageModel.DESCRIPTOR).toString());
        Files.writeString(dir.resolve(LanguageModel.DESCRIPTOR), "{\"format\": \"other\", \"version\": 1}");
        assertThatThrownBy(() -> LanguageModel.descriptor(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(dir.resolve(LanguageModel.DESCRIPTOR).toString())
                .hasMessageContaining("expected " + LanguageModel.FORMAT);
        Files.writeString(dir.resolve(LanguageModel.DESCRIPTOR), "{not json");
        assertThatThrownBy(() -> LanguageModel.descriptor(dir))
                .hasMessageContaining("cannot read language-model descriptor " + dir.resolve(LanguageModel.DESCRIPTOR));
    }
}
