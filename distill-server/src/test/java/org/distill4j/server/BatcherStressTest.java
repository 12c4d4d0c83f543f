package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dynamic batcher under concurrent load: 8 client threads, 400 single-row requests, each answer
 * compared with a single-row forward pass computed beforehand.
 */
class BatcherStressTest {

    @Test
    void oneRowBatchesAreBitIdenticalAndLargerBatchesWithinRounding(@TempDir Path tmp) throws Exception {
        Path dir = TestModels.dense(tmp.resolve("m"), new long[] {24}, TestModels.DENSE_CLASSES, 3);
        float[] rows = TestModels.rows(64, 24, 5);
        try (ServedSavedModel model = ServedSavedModel.load("m", dir)) {
            BatcherStress.Result single = BatcherStress.run(model, rows, 64, 8, 50, 1);
            assertThat(single.wrong()).as(single.describe()).isZero();
            assertThat(single.bitwiseEqual()).as(single.describe()).isEqualTo(400);
            assertThat(single.meanBatchRows()).isEqualTo(1.0);

            BatcherStress.Result batched = BatcherStress.run(model, rows, 64, 8, 50, 32);
            assertThat(batched.wrong()).as(batched.describe()).isZero();
            assertThat(batched.requests()).isEqualTo(400);
            assertThat(batched.meanBatchRows()).as("rows were batched").isGreaterThan(1.0);
        }
    }
}
