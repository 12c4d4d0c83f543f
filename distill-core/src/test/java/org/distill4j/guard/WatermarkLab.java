package org.distill4j.guard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.TeacherOutputs;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.TermsRegistry;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.SoftTargets;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Experiment runner for the watermark's design (off unless {@code -Dwatermark.lab=JOBS}): runs the
 * jobs of a text file, one per line, on Fashion-MNIST, and writes raw little-endian float32
 * arrays: {@code teacher HIDDEN EPOCHS SEED FROM TO OUT} (trains on train rows [FROM, TO), writes
 * OUT.train (logits on the transfer rows [T0, T1) given by -Dwatermark.lab.transfer=T0,T1) and
 * OUT.test (logits on the test set)); {@code student LOGITS HIDDEN TEMP EPOCHS SEED OUT} (distils
 * from the logits file of the transfer rows, writes OUT.test log-probabilities); {@code scratch
 * HIDDEN EPOCHS SEED FROM TO OUT} (true labels, writes OUT.test log-probabilities).
 */
@EnabledIfSystemProperty(named = "watermark.lab", matches = ".+")
class WatermarkLab {

    static final TeacherIdentity API = new TeacherIdentity("lab", "/watermark-lab", "t", "served outputs");

    @Test
    void run() throws Exception {
        IdxDataset idx = IdxDataset.load(IdxDataset.DEBIAN_FASHION_MNIST);
        String[] tr =
                System.getProperty("watermark.lab.transfer", "30000,50000").split(",");
        ExampleSet transfer = ExampleSets.slice(idx.train(), Integer.parseInt(tr[0]), Integer.parseInt(tr[1]));
        ExampleSet test = idx.test();
        for (String line : Files.readAllLines(Path.of(System.getProperty("watermark.lab")))) {
            String[] a = line.trim().split("\\s+");
            if (a.length < 2 || a[0].startsWith("#")) {
                continue;
            }
            long t0 = System.nanoTime();
            switch (a[0]) {
                case "teacher" -> {
                    ExampleSet train = ExampleSets.slice(idx.train(), Integer.parseInt(a[4]), Integer.parseInt(a[5]));
                    try (SavedModel m = SavedModel.create(
                            new MlpSpec(hidden(a[1]), null, 0), train.featureShape(), train.classNames())) {
                        ClassifierTrainer.builder(config(Integer.parseInt(a[2])))
                                .optSeed(Long.parseLong(a[3]))
                                .build()
                                .fit(m, train, null);
                        write(Path.of(a[6] + ".train"), logits(m, transfer));
                        write(Path.of(a[6] + ".test"), logits(m, test));
                    }
                }
                case "student" -> {
                    float[] targets = read(Path.of(a[1]));
                    TeacherOutputs outputs = new TeacherOutputs(
                            API.cacheKey(), transfer.contentHash(), transfer.size(), transfer.numClasses(), targets);
                    try (SavedModel s = SavedModel.create(
                            new MlpSpec(hidden(a[2]), null, 0), transfer.featureShape(), transfer.classNames())) {
                        ClassifierTrainer.builder(config(Integer.parseInt(a[4])))
                                .optSeed(Long.parseLong(a[5]))
                                .optDistillation(
                                        new KdParameters(Double.parseDouble(a[3]), 1),
                                        SoftTargets.cached(outputs),
                                        new DistillationGate()
                                                .approve(GateRequest.forTeacher(
                                                                TermsRegistry.builtIn()
                                                                        .get("mit"),
                                                                "student")
                                                        .withTeacher(API)))
                                .build()
                                .fit(s, ExampleSets.withoutLabels(transfer), null);
                        write(Path.of(a[6] + ".test"), logits(s, test));
                    }
                }
                case "scratch" -> {
                    ExampleSet train = ExampleSets.slice(idx.train(), Integer.parseInt(a[4]), Integer.parseInt(a[5]));
                    try (SavedModel m = SavedModel.create(
                            new MlpSpec(hidden(a[1]), null, 0), train.featureShape(), train.classNames())) {
                        ClassifierTrainer.builder(config(Integer.parseInt(a[2])))
                                .optSeed(Long.parseLong(a[3]))
                                .build()
                                .fit(m, train, null);
                        write(Path.of(a[6] + ".test"), logits(m, test));
                    }
                }
                default -> throw new IllegalArgumentException("unknown job: " + line);
            }
            System.out.printf("done %s in %.0f s%n", line, (System.nanoTime() - t0) / 1e9);
        }
    }

    static List<Integer> hidden(String csv) {
        List<Integer> h = new ArrayList<>();
        for (String s : csv.split(",")) {
            h.add(Integer.parseInt(s));
        }
        return h;
    }

    static TrainingConfig config(int epochs) {
        return TrainingConfig.builder()
                .setEpochs(epochs)
                .optBatchSize(128)
                .optLearningRate(0.002)
                .build();
    }

    static float[] logits(SavedModel m, ExampleSet set) {
        int n = set.size();
        int f = set.featureSize();
        float[] out = new float[n * set.numClasses()];
        int batch = 1000;
        for (int from = 0; from < n; from += batch) {
            int rows = Math.min(batch, n - from);
            int[] ids = new int[rows];
            Arrays.setAll(ids, i -> i);
            for (int i = 0; i < rows; i++) {
                ids[i] += from;
            }
            float[] x = new float[rows * f];
            set.copyFeatures(ids, x);
            try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                NDArray in = manager.create(x, ExampleSets.batchShape(set, rows));
                float[] z = m.logits(in).toFloatArray();
                System.arraycopy(z, 0, out, from * set.numClasses(), z.length);
            }
        }
        return out;
    }

    static void write(Path file, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, b.array());
    }

    static float[] read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }
}
