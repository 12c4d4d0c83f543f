package org.distill4j.experiment;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.io.AtomicFiles;
import org.distill4j.train.EpochRecord;

/**
 * {@code training.json}, written next to a model after its training completed: what it was
 * trained from (a fingerprint of architecture, configuration, data, teacher and seed) and its
 * history. Its presence with a matching fingerprint means the model is complete and can be reused
 * instead of trained again.
 *
 * @param role the model's role
 * @param fingerprint hex SHA-256 of everything that determines the trained model
 * @param history per-epoch record
 */
public record TrainingRecord(String role, String fingerprint, List<EpochRecord> history) {

    /** File name next to the model. */
    public static final String FILE = "training.json";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /** Writes this record atomically into {@code modelDir}. */
    public void write(Path modelDir) throws IOException {
        AtomicFiles.write(modelDir.resolve(FILE), JSON.writeValueAsBytes(this));
    }

    /** Reads the record of {@code modelDir}, or returns null when it has none or it is unreadable. */
    public static TrainingRecord read(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readValue(file.toFile(), TrainingRecord.class);
        } catch (IOException e) {
            return null;
        }
    }
}
