package org.distill4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.experiment.LmTrainingCorpus;

/**
 * Reads an {@link LmTopKJob} output back into the top-k cache format that {@code distill run}'s
 * trainer reads ({@link TopKCache}): the same header and key, every position's ids
 * and float16 log-probabilities at the offsets {@link TopKCache#build} writes them. For the same
 * teacher and corpus the file is byte for byte the one {@code distill run} would have built, and it
 * is named as {@code distill run} names it, so a run with that cache directory reuses it instead of
 * running the teacher. Rows are streamed one at a time (Parquet reads a row group at a time) and
 * written a window at a time with positional writes ({@link TopKCache.Rows}): neither the heap nor
 * a mapped region limits the corpus.
 */
public final class LmTopKOutputs {

    private LmTopKOutputs() {}

    /**
     * Writes the cache file of a job's output into {@code cacheDir}, atomically.
     *
     * @param out the directory {@link LmTopKJob} wrote
     * @param cacheDir the {@code distill run} cache directory (its {@code --cache-dir}, or {@code
     *     RUN/cache})
     * @return the file written ({@link LmTrainingCorpus#topKCacheFile})
     * @throws IOException if the output is incomplete or inconsistent: no manifest, a file of another
     *     size than the manifest says, a window twice or missing, a row of the wrong length; the
     *     message names the file or window
     */
    public static Path toCache(Path out, Path cacheDir) throws IOException {
        Path manifestFile = out.resolve(LabelJob.MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new IOException(out + " has no " + LabelJob.MANIFEST + "; not a complete top-k output");
        }
        JsonNode m = new ObjectMapper().readTree(manifestFile.toFile());
        if (!LmTopKJob.FORMAT.equals(m.path("format").asText())) {
            throw new IOException(manifestFile + ": format '" + m.path("format").asText() + "', expected '"
                    + LmTopKJob.FORMAT + "' (a language-model top-k output)");
        }
        String key = m.get("cache_key").asText();
        int k = m.get("k").asInt();
        int window = m.get("window").asInt();
        int windows = m.get("windows").asInt();
        long positions = m.get("positions").asLong();
        Path file = LmTrainingCorpus.topKCacheFile(cacheDir, key);
        TopKCache.write(file, k, positions, key, rows -> {
            BitSet seen = new BitSet(windows);
            for (JsonNode f : m.path("files")) {
                Path shard = out.resolve(f.get("path").asText());
                long expected = f.get("bytes").asLong();
                if (!Files.isRegularFile(shard) || Files.size(shard) != expected) {
                    throw new IOException(
                            "shard " + shard + " is missing or not the " + expected + " bytes its manifest says");
                }
                try (ParquetReader<Group> reader = ParquetReader.builder(
                                new GroupReadSupport(), new org.apache.hadoop.fs.Path(shard.toUri()))
                        .build()) {
                    for (Group g; (g = reader.read()) != null; ) {
                        copy(g, shard, k, window, windows, positions, seen, rows);
                    }
                }
            }
            if (seen.cardinality() != windows) {
                throw new IOException(out + ": window " + seen.nextClearBit(0) + " of " + windows
                        + " is in no shard; the output is incomplete");
            }
        });
        return file;
    }

    private static void copy(
            Group g, Path shard, int k, int window, int windows, long positions, BitSet seen, TopKCache.Rows rows)
            throws IOException {
        long w = g.getLong("window", 0);
        if (w < 0 || w >= windows || seen.get((int) w)) {
            throw new IOException(shard + ": window " + w
                    + (w < 0 || w >= windows ? " is outside [0, " + windows + ")" : " appears twice"));
        }
        seen.set((int) w);
        long first = w * window;
        int real = (int) Math.min(window, positions - first);
        Group idList = g.getGroup("topk_ids", 0);
        Group lpList = g.getGroup("topk_logprobs", 0);
        int count = real * k;
        if (idList.getFieldRepetitionCount(0) != count || lpList.getFieldRepetitionCount(0) != count) {
            throw new IOException(shard + ": window " + w + " holds " + idList.getFieldRepetitionCount(0) + " ids and "
                    + lpList.getFieldRepetitionCount(0) + " log-probabilities, expected " + count + " (" + real
                    + " positions x k=" + k + ")");
        }
        int[] ids = new int[count];
        float[] logProbs = new float[count];
        for (int i = 0; i < count; i++) {
            ids[i] = idList.getGroup(0, i).getInteger(0, 0);
            logProbs[i] = lpList.getGroup(0, i).getFloat(0, 0);
        }
        rows.put(first, real, ids, logProbs);
    }
}
