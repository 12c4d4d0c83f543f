package org.distill4j.spark;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The Parquet shards of an input and a cheap check of each on the driver, before any task: the
 * {@code PAR1} magic at both ends and a footer length that fits the file (what a truncated or
 * overwritten shard breaks first). Damage inside a column chunk is caught by Spark's reader when
 * the shard is scanned; its error names the file.
 */
final class ParquetShards {

    private ParquetShards() {}

    /** Returns the {@code .parquet} files under {@code input} (or {@code input} itself), in name order. */
    static List<Path> list(Path input) throws IOException {
        if (Files.isRegularFile(input)) {
            return List.of(input);
        }
        if (!Files.isDirectory(input)) {
            throw new IOException("Parquet input not found: " + input);
        }
        try (Stream<Path> s = Files.walk(input)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .filter(p -> !p.getFileName().toString().startsWith(".")
                            && !p.getFileName().toString().startsWith("_"))
                    .sorted()
                    .toList();
        }
    }

    /** Returns what is wrong with the shard, or null when its frame is sound. */
    static String check(Path shard) throws IOException {
        long size = Files.size(shard);
        if (size < 12) {
            return size + " bytes, too short for Parquet (at least 12)";
        }
        try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "r")) {
            if (!LabelJob.hasMagic(f, 0)) {
                return "no PAR1 magic at the start (not Parquet)";
            }
            if (!LabelJob.hasMagic(f, size - 4)) {
                return "no PAR1 magic at the end (truncated)";
            }
            f.seek(size - 8);
            byte[] b = new byte[4];
            f.readFully(b);
            long footer = (b[0] & 0xFFL) | (b[1] & 0xFFL) << 8 | (b[2] & 0xFFL) << 16 | (b[3] & 0xFFL) << 24;
            if (footer <= 0 || footer > size - 12) {
                return "footer length " + footer + " does not fit a file of " + size + " bytes";
            }
        }
        return null;
    }
}
