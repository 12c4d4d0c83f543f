package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real Fashion-MNIST as Debian's {@code dataset-fashion-mnist} installs it. Skipped when it
 * is not installed, unless {@code DISTILL4J_REQUIRE_DATA=true}, where its absence fails. The
 * system property {@code distill4j.fashionMnistDir} points it elsewhere.
 */
class IdxFashionMnistTest {

    // Overridable so the skip and require paths can be exercised without uninstalling the data.
    private static final Path DIR =
            Path.of(System.getProperty("distill4j.fashionMnistDir", IdxDataset.DEBIAN_FASHION_MNIST.toString()));

    private static IdxDataset data;
    private static long loadMillis;

    // Per test rather than @BeforeAll so that each test reports as skipped, with the reason.
    @BeforeEach
    void load() throws IOException {
        boolean required = "true".equalsIgnoreCase(System.getenv("DISTILL4J_REQUIRE_DATA"));
        if (!required) {
            assumeTrue(
                    Files.isDirectory(DIR),
                    "Fashion-MNIST is not installed at " + DIR
                            + " (apt-get install dataset-fashion-mnist); skipping. Set "
                            + "DISTILL4J_REQUIRE_DATA=true to make this a failure.");
        }
        if (data != null) {
            return;
        }
        // When required, a missing directory fails here with the MissingDataException message.
        long start = System.nanoTime();
        data = IdxDataset.load(DIR);
        loadMillis = (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void hasTheDocumentedSizesAndShape() {
        assertThat(data.train().size()).isEqualTo(60_000);
        assertThat(data.test().size()).isEqualTo(10_000);
        assertThat(data.train().featureShape()).containsExactly(1, 28, 28);
        assertThat(data.train().featureSize()).isEqualTo(784);
        assertThat(data.train().name()).isEqualTo("fashion-mnist/train");
        assertThat(data.test().name()).isEqualTo("fashion-mnist/test");
    }

    @Test
    void isBalancedAndNamesFashionClasses() {
        assertThat(ExampleSets.classCounts(data.train())).containsOnly(6_000).hasSize(10);
        assertThat(ExampleSets.classCounts(data.test())).containsOnly(1_000).hasSize(10);
        assertThat(data.train().classNames()).isEqualTo(IdxDataset.FASHION_MNIST_CLASSES);
    }

    @Test
    void loadsAndCopiesQuickly() {
        // The budget is loose for slow CI machines; about 1 s is typical.
        System.out.println("Fashion-MNIST train+test loaded in " + loadMillis + " ms");
        assertThat(loadMillis).isLessThan(10_000);

        ExampleSet train = data.train();
        int[] rows = IntStream.range(0, train.size()).toArray();
        float[] dst = new float[256 * train.featureSize()];
        long start = System.nanoTime();
        float max = 0;
        for (int from = 0; from < rows.length; from += 256) {
            int n = Math.min(256, rows.length - from);
            int[] batch = java.util.Arrays.copyOfRange(rows, from, from + n);
            train.copyFeatures(batch, dst);
            for (int j = 0; j < n * train.featureSize(); j++) {
                max = Math.max(max, dst[j]);
            }
        }
        long copyMillis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("copyFeatures of 60,000 rows in batches of 256: " + copyMillis + " ms");
        assertThat(max).isEqualTo(1f);
        assertThat(copyMillis).isLessThan(5_000);
    }

    @Test
    void hashesAreStableAndDistinct() {
        long start = System.nanoTime();
        String train = data.train().contentHash();
        System.out.println("contentHash of fashion-mnist/train: " + train + " in "
                + (System.nanoTime() - start) / 1_000_000 + " ms");
        assertThat(data.train().contentHash()).isSameAs(train);
        assertThat(data.test().contentHash()).isNotEqualTo(train);
        ExampleSets.Split split = ExampleSets.split(data.train(), 1.0 / 6, 1);
        assertThat(split.validation().size()).isEqualTo(10_000);
        assertThat(split.validation().contentHash()).isNotEqualTo(split.train().contentHash());
    }
}
