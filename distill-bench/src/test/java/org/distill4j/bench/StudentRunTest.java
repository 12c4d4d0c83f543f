package org.distill4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The benchmark's per-student records: those written before macro-F1 was measured still read. */
class StudentRunTest {

    @Test
    void aRecordWithoutMacroF1ReadsAsNaNAndANewOneRoundTrips() throws Exception {
        // A record as the benchmark wrote it on 2026-12-02 (committed under docs/accuracy-cnn/runs/).
        Path old = Path.of("..", "docs", "accuracy-cnn", "runs", "00fe75011a9b3691.json");
        StudentRun read = AccuracyBenchmark.MAPPER.readValue(Files.readAllBytes(old), StudentRun.class);
        assertThat(read.testErrors()).isEqualTo(918);
        assertThat(read.omittedClassTestAccuracy()).isNaN();
        assertThat(read.testMacroF1()).isNaN();

        StudentRun measured = new StudentRun(
                read.key(),
                read.group(),
                read.hidden(),
                read.params(),
                read.temperature(),
                read.alpha(),
                read.transfer(),
                read.seed(),
                read.trainAccuracy(),
                read.valAccuracy(),
                read.testAccuracy(),
                read.testErrors(),
                read.omittedClassTestAccuracy(),
                read.agreement(),
                read.seconds(),
                0.6543);
        StudentRun back = AccuracyBenchmark.MAPPER.readValue(
                AccuracyBenchmark.MAPPER.writeValueAsBytes(measured), StudentRun.class);
        assertThat(back).isEqualTo(measured);
        assertThat(back.withGroup("scratch").testMacroF1()).isEqualTo(0.6543);
    }
}
