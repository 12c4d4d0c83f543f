package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** {@link InputBuffer}: uploads read the one reused buffer, grow it when needed, and check sizes. */
class InputBufferTest {

    @Test
    void uploadsReuseOneBufferAndGrowWhenNeeded() {
        InputBuffer buffer = new InputBuffer(16);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            try (NDManager batch = m.newSubManager()) {
                NDArray a = buffer.upload(batch, new float[] {1, 2, 3, 4, 99}, new Shape(2, 2));
                assertThat(a.getDataType()).isEqualTo(DataType.FLOAT32);
                assertThat(a.toFloatArray()).containsExactly(1, 2, 3, 4);
            }
            assertThat(buffer.capacityBytes()).isEqualTo(16);
            try (NDManager batch = m.newSubManager()) {
                NDArray a = buffer.upload(batch, new float[] {5, 6, 7, 8, 9, 10}, new Shape(6));
                assertThat(a.toFloatArray()).containsExactly(5, 6, 7, 8, 9, 10);
                // A later upload into the same (grown) buffer is what the contract warns about:
                // the earlier tensor reads the same memory.
                NDArray b = buffer.upload(batch, new float[] {0, 0}, new Shape(2));
                assertThat(b.toFloatArray()).containsExactly(0, 0);
                assertThat(a.toFloatArray()).startsWith(0, 0, 7, 8);
            }
            assertThat(buffer.capacityBytes()).isGreaterThanOrEqualTo(24);
            try (NDManager batch = m.newSubManager()) {
                NDArray ids = buffer.upload(batch, new long[] {3, -1, 7}, new Shape(3));
                assertThat(ids.getDataType()).isEqualTo(DataType.INT64);
                assertThat(ids.toLongArray()).containsExactly(3, -1, 7);
            }
        }
    }

    @Test
    void tooFewValuesForTheShapeIsAnError() {
        InputBuffer buffer = new InputBuffer(64);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertThatThrownBy(() -> buffer.upload(m, new float[3], new Shape(2, 2)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("needs 4 values, got 3");
        }
        assertThatThrownBy(() -> new InputBuffer(0)).hasMessageContaining("illegal initial capacity: 0");
    }

    @Test
    void aFillOnAnotherThreadIsWrappedLaterAndChecked() throws Exception {
        InputBuffer buffer = new InputBuffer(8);
        // The host half on another thread (the trainer's prefetch thread), ordered by join.
        Thread filler = new Thread(() -> buffer.fill(new float[] {1, 2, 3, 4, 5, 6, 99}, 6));
        filler.start();
        filler.join();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray a = buffer.tensor(m, new Shape(2, 3));
            assertThat(a.getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(a.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(buffer.capacityBytes()).isGreaterThanOrEqualTo(24);
            assertThatThrownBy(() -> buffer.tensor(m, new Shape(4)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("needs 4 floats, the last fill copied 6");
            // An upload replaces what the fill copied: nothing is left to wrap.
            buffer.upload(m, new float[] {7}, new Shape(1));
            assertThatThrownBy(() -> buffer.tensor(m, new Shape(1))).hasMessageContaining("copied none");
        }
        assertThatThrownBy(() -> buffer.fill(new float[2], 3)).hasMessageContaining("illegal n: 3");
    }
}
