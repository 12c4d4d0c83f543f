package org.distill4j.lm.train;

import ai.djl.MalformedModelException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.CorruptDataException;
import org.distill4j.io.AtomicFiles;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.model.LanguageModel;

/**
 * Early stopping on validation for {@link LmTrainer}: at each evaluation point it measures the
 * model's validation bits per byte, keeps a copy of the parameters whenever they are the best so
 * far, and at the end puts the best back. Every row of a benchmark that selects this way is
 * compared at its own best step, so a scratch student that overfits a small corpus is not judged
 * by its last, worse step. The copy and the curve travel in {@link LmCheckpoint}s, so a resumed
 * run selects exactly what an uninterrupted one does. Not thread-safe; one per training.
 */
public final class BestValidation {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FILE = "best.bin";

    private final TokenWindows validation;
    private final List<double[]> curve = new ArrayList<>();
    private byte[] best;
    private int bestStep = -1;
    private double bestBitsPerByte = Double.POSITIVE_INFINITY;

    /** @param validation the windows to select on (never the test windows) */
    public BestValidation(TokenWindows validation) {
        this.validation = validation;
    }

    /**
     * Evaluates {@code lm} after {@code step} steps, keeps its parameters if they are the best yet
     * and returns its validation bits per byte.
     */
    double observe(int step, LanguageModel lm) {
        double bpb = Evaluation.of(lm, validation, 16).bitsPerByte();
        curve.add(new double[] {step, bpb});
        if (bpb < bestBitsPerByte) {
            bestBitsPerByte = bpb;
            bestStep = step;
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                lm.model().getBlock().saveParameters(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            best = bytes.toByteArray();
        }
        return bpb;
    }

    /** Loads the best parameters seen into {@code lm} (nothing when none was evaluated). */
    void restore(LanguageModel lm) {
        if (best == null) {
            return;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(best))) {
            lm.model().getBlock().loadParameters(lm.model().getNDManager(), in);
        } catch (IOException | MalformedModelException e) {
            throw new IllegalStateException("could not restore the best parameters: " + e.getMessage(), e);
        }
    }

    /** The step whose parameters were selected (-1 before any evaluation). */
    public int bestStep() {
        return bestStep;
    }

    /** The selected parameters' validation bits per byte. */
    public double bestBitsPerByte() {
        return bestBitsPerByte;
    }

    /** Every evaluation so far: {step, validation bits per byte}. */
    public List<double[]> curve() {
        return List.copyOf(curve);
    }

    /** Writes the best parameters into a checkpoint directory and returns the state to record. */
    ObjectNode save(Path checkpointDir) throws IOException {
        ObjectNode s = JSON.createObjectNode().put("best_step", bestStep).put("best_bits_per_byte", bestBitsPerByte);
        ArrayNode c = s.putArray("curve");
        for (double[] p : curve) {
            c.addArray().add((int) p[0]).add(p[1]);
        }
        if (best != null) {
            AtomicFiles.write(checkpointDir.resolve(FILE), best);
        }
        return s;
    }

    /** Restores what {@link #save} wrote into a checkpoint ({@code state} null: the checkpoint has none). */
    void load(Path checkpointDir, JsonNode state) throws IOException {
        if (state == null || state.isNull()) {
            throw new CorruptDataException(
                    checkpointDir,
                    checkpointDir + ": checkpoint has no best-validation state (written without "
                            + "best_validation selection); delete it to start afresh");
        }
        curve.clear();
        for (JsonNode p : state.path("curve")) {
            curve.add(new double[] {p.path(0).asInt(), p.path(1).asDouble()});
        }
        bestStep = state.path("best_step").asInt(-1);
        bestBitsPerByte = state.path("best_bits_per_byte").asDouble(Double.POSITIVE_INFINITY);
        Path file = checkpointDir.resolve(FILE);
        best = bestStep >= 0 ? Files.readAllBytes(file) : null;
    }
}
