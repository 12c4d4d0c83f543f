package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The bundled real data set, {@code ../shared/data/debian-descriptions} relative to the repository
 * root; skipped where it is absent.
 */
class DebianDescriptionsTest {

    static Path dataDir() {
        return org.distill4j.testutil.SharedData.debianDescriptions();
    }

    @Test
    void loadsAllThreeSplitsWithTheirPublishedSizes() throws Exception {
        Path dir = dataDir();
        assumeTrue(Files.isRegularFile(dir.resolve("train.jsonl.gz")), "no Debian descriptions at " + dir);

        JsonlTextDataset data = JsonlTextDataset.load(dir, JsonlTextDataset.Fields.defaults(), TextFeatures.defaults());

        assertThat(data.train().size()).isEqualTo(50_922);
        assertThat(data.validation().size()).isEqualTo(6_343);
        assertThat(data.test().size()).isEqualTo(6_413);
        assertThat(data.train().numClasses()).isEqualTo(58);
        assertThat(data.train().classNames())
                .contains("libs", "libdevel", "python", "games", "zope")
                .isSorted();
        assertThat(data.train().id(0)).isNotBlank();
        assertThat(data.train().text(0)).isNotBlank();
    }
}
