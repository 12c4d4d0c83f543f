package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.IdxTestFiles.Part;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Round trips of small, generated IDX data sets, raw and gzip-compressed. */
class IdxDatasetTest {

    @TempDir
    Path tmp;

    private final Part train = Part.random(7, 3, 4, 10, 1);
    private final Part test = Part.random(5, 3, 4, 10, 2);

    @ParameterizedTest(name = "gzip={0}")
    @ValueSource(booleans = {false, true})
    void roundTripsPixelsAndLabels(boolean gz) throws IOException {
        Path dir = IdxTestFiles.writeDataset(tmp.resolve("digits"), train, test, gz);

        IdxDataset data = IdxDataset.load(dir);

        assertMatches(data.train(), train, "digits/train");
        assertMatches(data.test(), test, "digits/test");
        assertThat(data.train().classNames()).isEqualTo(IdxDataset.DIGIT_CLASSES);
        assertThat(data.train().numClasses()).isEqualTo(10);
    }

    private static void assertMatches(ExampleSet set, Part part, String name) {
        assertThat(set.name()).isEqualTo(name);
        assertThat(set.size()).isEqualTo(part.count());
        assertThat(set.featureShape()).containsExactly(1, part.rows(), part.cols());
        assertThat(set.featureSize()).isEqualTo(part.rows() * part.cols());
        int[] rows = new int[set.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = i;
            assertThat(set.label(i)).isEqualTo(part.labels()[i]);
        }
        float[] features = new float[rows.length * set.featureSize()];
        set.copyFeatures(rows, features);
        for (int j = 0; j < features.length; j++) {
            assertThat(features[j]).isEqualTo((part.pixels()[j] & 0xFF) / 255f);
        }
    }

    @Test
    void copiesRequestedRowsInRequestedOrder() throws IOException {
        IdxDataset data = IdxDataset.load(IdxTestFiles.writeDataset(tmp.resolve("d"), train, test, false));
        float[] dst = new float[2 * 12];
        data.train().copyFeatures(new int[] {6, 2}, dst);
        for (int j = 0; j < 12; j++) {
            assertThat(dst[j]).isEqualTo((train.pixels()[6 * 12 + j] & 0xFF) / 255f);
            assertThat(dst[12 + j]).isEqualTo((train.pixels()[2 * 12 + j] & 0xFF) / 255f);
        }
    }

    @Test
    void hashDependsOnContentNotOnCompression() throws IOException {
        IdxDataset raw = IdxDataset.load(IdxTestFiles.writeDataset(tmp.resolve("a"), train, test, false));
        IdxDataset gz = IdxDataset.load(IdxTestFiles.writeDataset(tmp.resolve("b"), train, test, true));

        assertThat(gz.train().contentHash())
                .isEqualTo(raw.train().contentHash())
                .matches("[0-9a-f]{64}");
        assertThat(raw.test().contentHash()).isNotEqualTo(raw.train().contentHash());
    }

    @Test
    void hashChangesWithOnePixelOneLabelOrTheOrder() throws IOException {
        String base = IdxDataset.load(IdxTestFiles.writeDataset(tmp.resolve("base"), train, test, false))
                .train()
                .contentHash();

        byte[] pixels = train.pixels().clone();
        pixels[17] ^= 1;
        Part onePixel = new Part(7, 3, 4, pixels, train.labels());
        byte[] labels = train.labels().clone();
        labels[3] = (byte) ((labels[3] + 1) % 10);
        Part oneLabel = new Part(7, 3, 4, train.pixels(), labels);
        Part reshaped = new Part(7, 4, 3, train.pixels(), train.labels());
        byte[] swappedPixels = train.pixels().clone();
        byte[] swappedLabels = train.labels().clone();
        System.arraycopy(train.pixels(), 0, swappedPixels, 12, 12);
        System.arraycopy(train.pixels(), 12, swappedPixels, 0, 12);
        swappedLabels[0] = train.labels()[1];
        swappedLabels[1] = train.labels()[0];
        Part swapped = new Part(7, 3, 4, swappedPixels, swappedLabels);

        for (Part changed : List.of(onePixel, oneLabel, reshaped, swapped)) {
            Path dir = IdxTestFiles.writeDataset(Files.createTempDirectory(tmp, "c"), changed, test, false);
            assertThat(IdxDataset.load(dir).train().contentHash()).isNotEqualTo(base);
        }
    }

    @Test
    void detectsCompressionByContentNotByName() throws IOException {
        Path dir = tmp.resolve("mixed");
        // gzip content under a raw name, raw content under a .gz name.
        IdxTestFiles.write(dir.resolve("train-images-idx3-ubyte"), IdxTestFiles.gzip(train.imagesFile()));
        IdxTestFiles.write(dir.resolve("train-labels-idx1-ubyte.gz"), train.labelsFile());
        IdxTestFiles.write(dir.resolve("t10k-images-idx3-ubyte.gz"), test.imagesFile());
        IdxTestFiles.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxTestFiles.gzip(test.labelsFile()));

        IdxDataset data = IdxDataset.load(dir);

        assertMatches(data.train(), train, "mixed/train");
        assertMatches(data.test(), test, "mixed/test");
    }

    @Test
    void namesFashionClassesByDirectoryName() throws IOException {
        Path dir = IdxTestFiles.writeDataset(tmp.resolve("My-Fashion-Set"), train, test, true);

        ExampleSet set = IdxDataset.load(dir).train();

        assertThat(set.classNames())
                .containsExactly(
                        "T-shirt/top",
                        "Trouser",
                        "Pullover",
                        "Dress",
                        "Coat",
                        "Sandal",
                        "Shirt",
                        "Sneaker",
                        "Bag",
                        "Ankle boot");
    }

    @Test
    void acceptsExplicitClassNames() throws IOException {
        Part small = Part.random(6, 2, 2, 3, 5);
        Path dir = IdxTestFiles.writeDataset(tmp.resolve("three"), small, small, false);

        ExampleSet set = IdxDataset.load(dir, List.of("a", "b", "c")).train();

        assertThat(set.numClasses()).isEqualTo(3);
        assertThat(set.classNames()).containsExactly("a", "b", "c");
        assertThat(ExampleSets.classCounts(set)).containsExactly(2, 2, 2);
    }

    @Test
    void loadsAnEmptySet() throws IOException {
        Part empty = new Part(0, 2, 2, new byte[0], new byte[0]);
        IdxDataset data = IdxDataset.load(IdxTestFiles.writeDataset(tmp.resolve("e"), empty, train, true));

        assertThat(data.train().size()).isZero();
        assertThat(data.train().contentHash()).matches("[0-9a-f]{64}");
    }

    @Test
    void spansManyBlocksWithoutSplittingARow() throws IOException {
        // 1000-byte rows do not divide the 1 MiB block: rows must still come back whole.
        Part big = Part.random(3000, 20, 50, 10, 9);
        IdxDataset data = IdxDataset.load(IdxTestFiles.writeDataset(tmp.resolve("big"), big, test, true));

        assertMatches(data.train(), big, "big/train");
    }
}
