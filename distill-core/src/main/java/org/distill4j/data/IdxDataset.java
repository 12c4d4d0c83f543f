package org.distill4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An MNIST-family data set read from IDX files: a training and a test set of grey images with
 * class labels.
 *
 * <p>A data directory holds the four standard files ({@link #FILE_NAMES}), each raw or
 * gzip-compressed with a {@code .gz} suffix (compression is detected from the content; where both
 * names exist the one without {@code .gz} is read). Images become rows of shape [1, rows, cols]
 * with values {@code byte / 255f} in [0, 1], stored as bytes (one byte a pixel in memory).
 * Labels must be class ids below the number of classes, 10 by default. Every malformation is
 * reported as a {@link DataException} naming the file, before memory is spent on it.
 *
 * @param train the training set, named {@code <dirname>/train}
 * @param test the test set, named {@code <dirname>/test}
 */
public record IdxDataset(ExampleSet train, ExampleSet test) {

    /** Training images, training labels, test images, test labels (each maybe with .gz). */
    public static final List<String> FILE_NAMES = List.of(
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    /** The class names of Fashion-MNIST, in id order. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** The class names of MNIST digits, "0" to "9". */
    public static final List<String> DIGIT_CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    /** Where Debian's {@code dataset-fashion-mnist} package installs Fashion-MNIST. */
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    /** Checks both sets are present. */
    public IdxDataset {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
    }

    /**
     * Loads the data set in {@code dir} with the {@link #defaultClassNames default class names}.
     *
     * @throws MissingDataException if the directory or one of its four files is missing
     * @throws CorruptDataException if a file is malformed
     * @throws IOException if a file cannot be read
     */
    public static IdxDataset load(Path dir) throws IOException {
        return load(dir, defaultClassNames(dir));
    }

    /**
     * Loads the data set in {@code dir} with the given class names; every label must be below
     * {@code classNames.size()}.
     *
     * @param classNames 1 to {@link ByteExampleSet#MAX_CLASSES} names, in id order
     * @throws MissingDataException if the directory or one of its four files is missing
     * @throws CorruptDataException if a file is malformed
     * @throws IOException if a file cannot be read
     */
    public static IdxDataset load(Path dir, List<String> classNames) throws IOException {
        List<Path> files = locate(dir);
        String prefix = dirName(dir);
        ExampleSet train = read(files.get(0), files.get(1), prefix + "/train", classNames);
        ExampleSet test = read(files.get(2), files.get(3), prefix + "/test", classNames);
        return new IdxDataset(train, test);
    }

    /**
     * Returns Fashion-MNIST's class names if the directory's name contains "fashion" (ignoring
     * case), else the digits "0" to "9".
     */
    public static List<String> defaultClassNames(Path dir) {
        return dirName(dir).toLowerCase(Locale.ROOT).contains("fashion") ? FASHION_MNIST_CLASSES : DIGIT_CLASSES;
    }

    /**
     * Reads a labelled image set from an IDX images file and an IDX labels file, raw or gzip.
     *
     * @param images an IDX file with magic 0x00000803: N images of rows x cols unsigned bytes
     * @param labels an IDX file with magic 0x00000801: N labels, each &lt; classNames.size()
     * @param name the set's name
     * @param classNames the class names, in id order; 1 to {@link ByteExampleSet#MAX_CLASSES}
     * @return a set of N rows of shape [1, rows, cols]
     * @throws CorruptDataException if either file is malformed, their counts differ, or a label
     *     is out of range; the message names the file
     * @throws IOException if a file cannot be read
     */
    public static ByteExampleSet read(Path images, Path labels, String name, List<String> classNames)
            throws IOException {
        if (classNames.isEmpty() || classNames.size() > ByteExampleSet.MAX_CLASSES) {
            throw new IllegalArgumentException(
                    classNames.size() + " classes, expected 1 to " + ByteExampleSet.MAX_CLASSES);
        }
        try (IdxFile imageFile = IdxFile.openImages(images);
                IdxFile labelFile = IdxFile.openLabels(labels)) {
            // Compared before any data is read, so a mismatch costs nothing.
            if (imageFile.count() != labelFile.count()) {
                throw new CorruptDataException(
                        labels,
                        String.format(
                                Locale.ROOT,
                                "%s declares %d labels, expected %d to match the images in %s",
                                labels,
                                labelFile.count(),
                                imageFile.count(),
                                images));
            }
            ByteBlocks labelBlocks = labelFile.readData();
            for (int i = 0; i < labelBlocks.count(); i++) {
                int label = labelBlocks.get(i, 0) & 0xFF;
                if (label >= classNames.size()) {
                    throw new CorruptDataException(
                            labels,
                            String.format(
                                    Locale.ROOT,
                                    "%s has label %d at row %d, expected a class id < %d",
                                    labels,
                                    label,
                                    i,
                                    classNames.size()));
                }
            }
            ByteBlocks imageBlocks = imageFile.readData();
            int[] dims = imageFile.dims();
            return new ByteExampleSet(name, new long[] {1, dims[1], dims[2]}, imageBlocks, labelBlocks, classNames);
        }
    }

    /** Returns the four files in {@link #FILE_NAMES} order, or says which are missing. */
    private static List<Path> locate(Path dir) throws MissingDataException {
        String expected = "expected the IDX files " + String.join(", ", FILE_NAMES) + " (each raw or with .gz)";
        if (!Files.isDirectory(dir)) {
            throw new MissingDataException(
                    dir,
                    (Files.exists(dir)
                                    ? "data directory " + dir + " is not a directory; "
                                    : "data directory " + dir + " does not exist; ")
                            + expected
                            + installHint(dir));
        }
        List<Path> found = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String name : FILE_NAMES) {
            Path raw = dir.resolve(name);
            Path gz = dir.resolve(name + ".gz");
            if (Files.isRegularFile(raw)) {
                found.add(raw);
            } else if (Files.isRegularFile(gz)) {
                found.add(gz);
            } else {
                missing.add(name + "[.gz]");
            }
        }
        if (!missing.isEmpty()) {
            throw new MissingDataException(
                    dir.resolve(missing.get(0).replace("[.gz]", "")),
                    "data directory " + dir + " lacks " + String.join(", ", missing) + "; " + expected
                            + installHint(dir));
        }
        return found;
    }

    private static String installHint(Path dir) {
        boolean debian = dir.toAbsolutePath().normalize().equals(DEBIAN_FASHION_MNIST);
        if (debian || dirName(dir).toLowerCase(Locale.ROOT).contains("fashion-mnist")) {
            return ". On Debian, install Fashion-MNIST into " + DEBIAN_FASHION_MNIST
                    + " with: apt-get install dataset-fashion-mnist";
        }
        return "";
    }

    private static String dirName(Path dir) {
        Path name = dir.toAbsolutePath().normalize().getFileName();
        return name == null ? dir.toString() : name.toString();
    }
}
