package org.distill4j.lm.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.distill4j.data.CorruptDataException;
import org.distill4j.io.AtomicFiles;

/**
 * Where and how often {@link LmTrainer} writes checkpoints, and whether it resumes from one.
 *
 * <p>A checkpoint is the directory {@code dir/checkpoint}: {@code parameters.bin} (DJL's block
 * format), {@code optimizer.ndlist} (Adam's moments and step) and {@code state.json} (the step, the
 * losses so far, and the training settings it belongs to), plus, when the run selects its best
 * validation step, {@code best.bin} (those parameters) and the validation curve. It is written into a temporary directory
 * and swapped in (the previous one is kept as {@code checkpoint.old} until the new one is in
 * place), so a kill at any moment leaves one complete checkpoint. A resumed run restores the
 * parameters, the optimizer and the losses, replays the batch sampler to the step, and continues:
 * it ends with the parameters an uninterrupted run ends with.
 *
 * @param dir the checkpoint directory (created)
 * @param every steps between checkpoints, at least 1
 * @param resume start from the checkpoint in {@code dir} if there is one
 */
public record LmCheckpoint(Path dir, int every, boolean resume) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Validates. */
    public LmCheckpoint {
        Objects.requireNonNull(dir, "dir");
        if (every < 1) {
            throw new IllegalArgumentException("illegal every value: " + every + ", must be >= 1");
        }
    }

    /** What a checkpoint restored. */
    record Restored(int step, float[] losses) {}

    /** The name of the best-validation state in {@code state.json}. */
    private static final String BEST = "best_validation";

    private Path current() {
        return dir.resolve("checkpoint");
    }

    /**
     * The settings a checkpoint must match to be resumed: under a constant rate the step count may
     * grow; a cosine schedule depends on it, so there it must match too (absent under a constant
     * rate, so older checkpoints still match).
     */
    static ObjectNode settings(LmTrainingConfig c, int window, String loss) {
        ObjectNode s = JSON.createObjectNode()
                .put("batch_size", c.batchSize())
                .put("learning_rate", c.learningRate())
                .put("warmup_steps", c.warmupSteps())
                .put("seed", c.seed())
                .put("window", window)
                .put("loss", loss);
        if (c.schedule() != org.distill4j.train.Schedule.CONSTANT) {
            s.put("schedule", c.schedule().id()).put("schedule_steps", c.steps());
        }
        return s;
    }

    void save(
            int step,
            float[] losses,
            Block block,
            LmAdam adam,
            NDManager manager,
            ObjectNode settings,
            BestValidation best)
            throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempDirectory(dir, ".checkpoint-");
        try (OutputStream os = Files.newOutputStream(tmp.resolve("parameters.bin"));
                DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(os))) {
            block.saveParameters(out);
        }
        try (NDManager m = manager.newSubManager()) {
            AtomicFiles.write(
                    tmp.resolve("optimizer.ndlist"), adam.exportState(m).encode());
        }
        ObjectNode state =
                JSON.createObjectNode().put("format", "distill4j-lm-checkpoint").put("step", step);
        state.set("settings", settings);
        if (best != null) {
            state.set(BEST, best.save(tmp));
        }
        ArrayNode l = state.putArray("losses");
        for (int i = 0; i < step; i++) {
            l.add(losses[i]);
        }
        AtomicFiles.write(tmp.resolve("state.json"), JSON.writeValueAsBytes(state));
        Path cur = current();
        Path old = dir.resolve("checkpoint.old");
        deleteTree(old);
        if (Files.exists(cur)) {
            Files.move(cur, old, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, cur, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    /**
     * Restores the newest checkpoint into {@code block} and {@code adam}, or returns null when there
     * is none.
     *
     * @throws CorruptDataException if the checkpoint is unreadable or belongs to other settings
     *     (naming the file and what differs)
     */
    Restored restore(Block block, LmAdam adam, NDManager manager, ObjectNode settings, int steps, BestValidation best)
            throws IOException {
        Path cur = Files.exists(current().resolve("state.json")) ? current() : dir.resolve("checkpoint.old");
        Path stateFile = cur.resolve("state.json");
        if (!Files.exists(stateFile)) {
            return null;
        }
        JsonNode state;
        try {
            state = JSON.readTree(stateFile.toFile());
        } catch (IOException e) {
            throw new CorruptDataException(
                    stateFile, stateFile + ": unreadable checkpoint state: " + e.getMessage(), e);
        }
        // Through text, so numbers compare as they read back (a long written is an int read).
        if (!JSON.readTree(JSON.writeValueAsString(settings)).equals(state.get("settings"))) {
            throw new CorruptDataException(
                    stateFile,
                    stateFile + ": checkpoint of other training settings (" + state.get("settings") + " vs " + settings
                            + "); delete " + dir + " to start afresh");
        }
        int step = state.path("step").asInt();
        if (step > steps) {
            throw new CorruptDataException(
                    stateFile, stateFile + ": checkpoint at step " + step + " is past the run's " + steps + " steps");
        }
        try (InputStream is = Files.newInputStream(cur.resolve("parameters.bin"));
                DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(is))) {
            block.loadParameters(manager, in);
        } catch (ai.djl.MalformedModelException e) {
            throw new CorruptDataException(cur, cur + ": malformed checkpoint parameters: " + e.getMessage(), e);
        }
        try (NDManager tmp = manager.newSubManager();
                InputStream in = Files.newInputStream(cur.resolve("optimizer.ndlist"))) {
            adam.importState(NDList.decode(tmp, in), manager);
        }
        if (best != null) {
            best.load(cur, state.get(BEST));
        }
        float[] losses = new float[steps];
        JsonNode l = state.path("losses");
        for (int i = 0; i < step; i++) {
            losses[i] = (float) l.path(i).asDouble();
        }
        return new Restored(step, losses);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var files = Files.walk(p)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
