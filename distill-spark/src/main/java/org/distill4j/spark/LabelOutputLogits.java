package org.distill4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.distill4j.data.FeatureShards;
import org.distill4j.teacher.KeyedLogitsWriter;
import org.distill4j.teacher.MappedTeacherOutputs;

/**
 * Turns a labelling job's output ({@link LabelJob}: Parquet rows of key and logits) into the
 * teacher-output file the trainer joins by key with the transfer set's feature shards ({@code
 * distill distill --from-shards DIR --teacher-logits FILE}): each row's logits are written at its
 * key, so the job's partition order does not matter; every key of the shards must come exactly
 * once. The file is stamped with the shards' content hash (the trainer refuses logits of another
 * set): that the job scored the same rows as the shards hold (the same split, keys = row index)
 * is the caller's to ensure; the row count is checked. Memory: one Parquet row group and a bit per
 * key.
 */
public final class LabelOutputLogits {

    private LabelOutputLogits() {}

    /**
     * Converts {@code jobOut} into {@code file}.
     *
     * @param jobOut the directory {@link LabelJob} wrote (with its manifest)
     * @param shards the transfer set the job scored, as feature shards keyed by row index
     * @param file the {@code .logits} file to write (atomically)
     * @return the written file, opened mapped
     * @throws IOException if the output is incomplete, its row count differs from the shards', or
     *     a key is missing, repeated or out of range
     */
    public static MappedTeacherOutputs toLogitsFile(Path jobOut, FeatureShards shards, Path file) throws IOException {
        JsonNode manifest =
                new ObjectMapper().readTree(jobOut.resolve(LabelJob.MANIFEST).toFile());
        long rows = manifest.path("rows").asLong(-1);
        if (rows != shards.rows()) {
            throw new IOException(jobOut + " holds " + rows + " rows of teacher outputs but the shards " + shards.dir()
                    + " hold " + shards.rows() + "; label the same rows");
        }
        JsonNode teacher = manifest.path("teacher");
        String teacherKey = teacher.path("kind").asText() + ":"
                + teacher.path("content_hash").asText();
        try (ShuffledShardReader reader = ShuffledShardReader.open(jobOut, 0, 1);
                KeyedLogitsWriter writer = KeyedLogitsWriter.create(
                        file,
                        teacherKey,
                        shards.contentHash(),
                        Math.toIntExact(shards.rows()),
                        shards.classNames().size())) {
            while (reader.hasNext()) {
                ShuffledShardReader.LabelledRow row = reader.next();
                writer.put(row.key(), row.logits());
            }
            return writer.finish();
        }
    }
}
