package org.distill4j.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.distill4j.io.AtomicFiles;
import org.distill4j.io.OwnedDirectory;
import org.distill4j.model.SavedModel;

/**
 * Per-epoch checkpoints of one training run: {@code epoch-NNNN/} directories holding the
 * parameters ({@code model-NNNN.params}), the optimiser state ({@code optimizer.ndlist}) and
 * {@code state.json} (epoch, history, run fingerprint). Each directory is assembled under a
 * temporary name ({@code .epoch-NNNN-*}) and renamed into place, so a directory named {@code
 * epoch-NNNN} is always complete; temporary ones a failed write left behind are removed by the next
 * run. The two newest are kept.
 *
 * <p>The checkpoint directory is an {@link OwnedDirectory}: distill4j writes into and deletes only a
 * directory it created (or found empty), never one a user made.
 */
public final class Checkpoints {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();
    private static final int KEEP = 2;

    private final Path dir;
    private final String fingerprint;
    private boolean cleaned;

    Checkpoints(Path dir, String fingerprint) {
        this.dir = dir;
        this.fingerprint = fingerprint;
    }

    /** What {@code state.json} holds. */
    record State(int epoch, String fingerprint, List<EpochRecord> history) {}

    /** A complete checkpoint on disk. */
    record Saved(Path dir, State state) {
        int epoch() {
            return state.epoch();
        }

        List<EpochRecord> history() {
            return state.history();
        }

        void loadParameters(SavedModel model) throws IOException {
            model.loadParametersFrom(dir, state.epoch());
        }

        void loadOptimizer(CheckpointableOptimizer optimizer, NDManager owner) throws IOException {
            try (NDManager tmp = owner.newSubManager();
                    InputStream in = Files.newInputStream(dir.resolve("optimizer.ndlist"))) {
                optimizer.importState(NDList.decode(tmp, in), owner);
            }
        }
    }

    /**
     * Prepares the checkpoint directory of a training whose configuration is identified by {@code
     * label}, before it starts: with {@code resume}, checkpoints of the same configuration are kept
     * (minus temporary leftovers) and those of another configuration are deleted; without, all are
     * deleted. Only a directory distill4j created is ever deleted.
     *
     * @param dir the checkpoint directory
     * @param label identifies the configuration (e.g. a fingerprint of model, training, data, seed)
     * @param resume whether the training will resume from the newest checkpoint
     * @return a sentence for the user when checkpoints of another configuration were discarded on
     *     resume, else null
     * @throws IOException if {@code dir} exists, is not empty and was not created by distill4j
     */
    public static String prepare(Path dir, String label, boolean resume) throws IOException {
        OwnedDirectory.requireOwnedOrEmpty(dir);
        String notice = null;
        if (OwnedDirectory.isOwned(dir)) {
            String own = OwnedDirectory.label(dir);
            if (resume && label.equals(own)) {
                removeTemporaries(dir);
                return null;
            }
            if (resume && !new Checkpoints(dir, "").complete().isEmpty()) {
                notice = "checkpoints in " + dir + " belong to another configuration (model, training, data or "
                        + "seed changed since they were written); starting fresh";
            }
            OwnedDirectory.deleteTree(dir);
        }
        OwnedDirectory.claim(dir, label);
        return notice;
    }

    private static void removeTemporaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("\\.epoch-\\d{4}-.*"))
                    .toList()) {
                OwnedDirectory.deleteTree(p);
            }
        }
    }

    void save(int epoch, SavedModel model, CheckpointableOptimizer optimizer, List<EpochRecord> history)
            throws IOException {
        if (!OwnedDirectory.isOwned(dir)) {
            OwnedDirectory.claim(dir, "checkpoints");
        }
        if (!cleaned) {
            removeTemporaries(dir);
            cleaned = true;
        }
        String name = String.format(Locale.ROOT, "epoch-%04d", epoch);
        Path tmp = Files.createTempDirectory(dir, "." + name + "-");
        model.saveParametersTo(tmp, epoch);
        try (NDManager m = model.model().getNDManager().newSubManager()) {
            byte[] bytes = optimizer.exportState(m).encode();
            AtomicFiles.write(tmp.resolve("optimizer.ndlist"), bytes);
        }
        AtomicFiles.write(tmp.resolve("state.json"), JSON.writeValueAsBytes(new State(epoch, fingerprint, history)));
        Path target = dir.resolve(name);
        if (Files.exists(target)) {
            OwnedDirectory.deleteTree(target);
        }
        AtomicFiles.moveAtomically(tmp, target);
        List<Path> all = complete();
        for (int i = 0; i < all.size() - KEEP; i++) {
            OwnedDirectory.deleteTree(all.get(i));
        }
    }

    /**
     * Returns the newest complete checkpoint, or null.
     *
     * @throws IOException if it belongs to a different run (configuration, data or seed)
     */
    Saved latest() throws IOException {
        List<Path> all = complete();
        if (all.isEmpty()) {
            return null;
        }
        Path newest = all.get(all.size() - 1);
        State state = JSON.readValue(newest.resolve("state.json").toFile(), State.class);
        if (!fingerprint.equals(state.fingerprint())) {
            throw new IOException("checkpoint " + newest + " was written by a run with a different configuration, "
                    + "data or seed; resume with the same recipe, or delete " + dir + " to start over");
        }
        return new Saved(newest, state);
    }

    private List<Path> complete() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("epoch-\\d{4}"))
                    .filter(p -> Files.isRegularFile(p.resolve("state.json")))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        }
    }

    @Override
    public String toString() {
        return "Checkpoints(" + dir + ")";
    }
}
