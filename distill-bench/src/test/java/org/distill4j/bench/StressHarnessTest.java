package org.distill4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.distill4j.bench.StressHarness.Collector;
import org.distill4j.bench.StressHarness.GcPressure;
import org.distill4j.bench.StressHarness.Mode;
import org.distill4j.bench.StressHarness.Setting;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The stress harness, small enough for the normal suite (under a minute on a shared 2-core
 * machine): cached distillation at one thread in a 64 MB serial-collector JVM hammered by forced
 * collections and in a default JVM, plus online distillation at two threads, each child repeating
 * the training; every run within a thread count must agree bit for bit. {@code distill bench stress} runs the full matrix (30 runs per setting).
 *
 * <p>Before the fix in {@code DistillationLoss} (its scalar constants were freed under autograd), the
 * hammered child gave 3 different results and a NaN divergence in 6 runs; {@code
 * DistillationLossGcTest} pins that cause deterministically.
 */
@Tag("stress")
class StressHarnessTest {

    @Test
    void shortTrainingsAreBitIdenticalUnderGcPressureAtAFixedThreadCount() throws Exception {
        List<Setting> settings = List.of(
                new Setting(1, Collector.SERIAL_SMALL_HEAP, Mode.CACHED, GcPressure.HAMMER),
                new Setting(1, Collector.DEFAULT, Mode.CACHED, GcPressure.NONE),
                new Setting(2, Collector.DEFAULT, Mode.ONLINE, GcPressure.NONE),
                new Setting(2, Collector.DEFAULT, Mode.CNN, GcPressure.NONE));
        List<String> progress = new ArrayList<>();
        StressHarness.Report report = new StressHarness(120).run(settings, 2, 0, progress::add);

        assertThat(progress).hasSize(4);
        for (StressHarness.Outcome o : report.outcomes()) {
            assertThat(o.errors()).as(o.setting().id()).isEmpty();
            assertThat(o.digests()).as(o.setting().id()).hasSize(2);
            assertThat(o.distinct()).as(o.setting().id() + ": " + o.digests()).isEqualTo(1);
        }
        // Both one-thread children (different collectors and pressure) trained the very same models.
        assertThat(report.groups())
                .containsEntry("1 threads / cached", 1)
                .containsEntry("2 threads / online", 1)
                .containsEntry("2 threads / cnn", 1);
        assertThat(report.reproducible()).isTrue();
        assertThat(report.markdown()).contains("1t/serial-64m/cached/hammer").contains("| 1 threads / cached | 1 |");
    }
}
