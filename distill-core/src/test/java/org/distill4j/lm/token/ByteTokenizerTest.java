package org.distill4j.lm.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteTokenizerTest {

    private final Tokenizer tok = ByteTokenizer.INSTANCE;

    @Test
    void encodesUtf8BytesAndDecodesBack() {
        String text = "naïve café – 日本語 🙂\n";
        int[] ids = tok.encode(text);
        assertThat(ids).hasSize(text.getBytes(StandardCharsets.UTF_8).length);
        assertThat(java.util.Arrays.stream(ids).allMatch(id -> id >= 0 && id < 256))
                .isTrue();
        assertThat(tok.decode(ids)).isEqualTo(text);
        long bytes = 0;
        for (int id : ids) {
            bytes += tok.byteLength(id);
        }
        assertThat(bytes).isEqualTo(ids.length);
    }

    @Test
    void specialsHaveNoBytesAndAreDroppedByDecode() {
        assertThat(tok.vocabSize()).isEqualTo(258);
        assertThat(tok.bos()).isEqualTo(256);
        assertThat(tok.eos()).isEqualTo(257);
        assertThat(tok.byteLength(256)).isZero();
        assertThat(tok.decode(new int[] {256, 'h', 'i', 257})).isEqualTo("hi");
        assertThat(tok.decode(new int[] {0xC3})).isEqualTo("\uFFFD");
        assertThatThrownBy(() -> tok.decode(new int[] {258})).hasMessageContaining("258");
    }

    @Test
    void identityNamesTheTokenizerAndResolvesBack() {
        TokenizerIdentity id = tok.identity();
        assertThat(id.toString()).isEqualTo("byte/v1(vocab=258,bos=256,eos=257)");
        assertThat(Tokenizer.of(id)).isSameAs(tok);
        assertThatThrownBy(() -> Tokenizer.of(new TokenizerIdentity("bpe", 1, 1000, 0, 1)))
                .hasMessageContaining("unknown tokenizer bpe")
                .hasMessageContaining("byte/v1");
    }
}
