package org.distill4j.lm.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;

class TokenWindowsTest {

    private static final int B = ByteTokenizer.BOS;
    private static final int E = ByteTokenizer.EOS;

    @Test
    void packsDocumentsWithBoundariesAndShiftsTargetsByOne() {
        TokenWindows w =
                TokenWindows.pack(List.of(new Document("a", "ab"), new Document("b", "c")), ByteTokenizer.INSTANCE, 4);
        // stream: B a b E B c E  (7 tokens, 6 targets) -> 2 windows of 4
        assertThat(w.stream()).containsExactly(B, 'a', 'b', E, B, 'c', E);
        assertThat(w.size()).isEqualTo(2);
        assertThat(w.input(0)).containsExactly(B, 'a', 'b', E);
        assertThat(w.target(0)).containsExactly('a', 'b', E, B);
        assertThat(w.input(1)).containsExactly(B, 'c', E, E);
        assertThat(w.target(1)).containsExactly('c', E, TokenWindows.IGNORE, TokenWindows.IGNORE);
        assertThat(w.targetTokens()).isEqualTo(6);
        assertThat(w.targetBytes()).isEqualTo(3);
    }

    @Test
    void aDocumentLongerThanAWindowContinuesInTheNextWindows() {
        String text = "0123456789abcdefghij";
        TokenWindows w = TokenWindows.pack(List.of(new Document("long", text)), ByteTokenizer.INSTANCE, 8);
        // 22 tokens, 21 targets -> ceil(21/8) = 3 windows
        assertThat(w.size()).isEqualTo(3);
        StringBuilder targets = new StringBuilder();
        for (int i = 0; i < w.size(); i++) {
            for (int t : w.target(i)) {
                if (t >= 0 && t < 256) {
                    targets.append((char) t);
                }
            }
        }
        assertThat(targets.toString()).isEqualTo(text);
        assertThat(w.input(1)[0]).isEqualTo('7');
        assertThat(w.target(2)).endsWith(E, TokenWindows.IGNORE, TokenWindows.IGNORE, TokenWindows.IGNORE);
    }

    @Test
    void batchesAreInt64OfShapeBatchByContext() {
        TokenWindows w = TokenWindows.pack(List.of(new Document("a", "hello world")), ByteTokenizer.INSTANCE, 5);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDList b = w.batch(m, new int[] {2, 0});
            assertThat(b.get(0).getShape()).isEqualTo(new Shape(2, 5));
            assertThat(b.get(0).getDataType()).isEqualTo(DataType.INT64);
            assertThat(b.get(1).toLongArray()[5]).isEqualTo('h');
            assertThat(b.get(0).toLongArray()[0]).isEqualTo(w.input(2)[0]);
        }
    }
}
