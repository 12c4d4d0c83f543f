package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import org.distill4j.model.OneDnnIsa;
import org.junit.jupiter.api.Test;

class EnvironmentTest {

    /** oneDNN's cap changes a run's numbers (docs/engine.md): reports record it, reuse keys on it. */
    @Test
    void theOneDnnCapIsRecordedAndPartOfTheReuseKeyWhenSet() {
        String cap = OneDnnIsa.cap();
        assertThat(Environment.describe()).containsEntry("onednn_max_cpu_isa", cap);
        String key = Environment.kernelKey();
        assertThat(key).startsWith("threads=" + Environment.threads().intraOp());
        if (cap.equals("ALL")) {
            // At oneDNN's default the key is what it was before the cap was recorded.
            assertThat(key).isEqualTo("threads=" + Environment.threads().intraOp());
        } else {
            assertThat(key).endsWith(" isa=" + cap);
        }
    }
}
