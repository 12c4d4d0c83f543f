package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleStream;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.TeacherOutputs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The trainer's prefetch thread ({@link BatchPrefetch}): training is bit-identical with and without
 * it, in every mode whose batches it fills (alone, cached, augmented, cached views, online); an
 * error of the filling, of the training thread or an interrupt ends training cleanly: the error
 * is thrown by {@code fit}, the epoch's stream is never read after its close, no prefetch thread
 * outlives the run and no NDArray is left behind.
 */
class BatchPrefetchTest {

    private static final MlpSpec MLP = ClassifierTrainerTest.MLP;

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void trainingIsBitIdenticalWithAndWithoutPrefetch() throws Exception {
        ExampleSet blobs = ClassifierTrainerTest.TRAIN;
        KdParameters kd = new KdParameters(4, 0.9);
        TeacherOutputs outputs = randomOutputs(blobs, "cccc");
        Augmentation augment = new Augmentation(2, true);
        ExampleSet images = ConsistentDistillationTest.TRAIN;
        TrainingConfig augmented = ConsistentDistillationTest.config(augment, 3);
        SoftTargets.Views views;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            views = SoftTargets.views(
                    new ConsistentDistillationTest.RecordingTeacher(), images, augment, 2, 7, manager, 100);
        }
        SoftTargets online = SoftTargets.online(new ConsistentDistillationTest.RecordingTeacher());
        var approval = ClassifierTrainerTest.approval(ClassifierTrainerTest.teacherId("recording"));
        assertThat(threadAlive()).isFalse();
        assertSame(
                "alone",
                run(blobs, ClassifierTrainerTest.config(3), null, null, null, true),
                run(blobs, ClassifierTrainerTest.config(3), null, null, null, false));
        var cachedApproval = ClassifierTrainerTest.approval(ClassifierTrainerTest.teacherId("cccc"));
        assertSame(
                "cached",
                run(blobs, ClassifierTrainerTest.config(3), kd, SoftTargets.cached(outputs), cachedApproval, true),
                run(blobs, ClassifierTrainerTest.config(3), kd, SoftTargets.cached(outputs), cachedApproval, false));
        assertSame(
                "augmented, alone",
                run(images, augmented, null, null, null, true),
                run(images, augmented, null, null, null, false));
        assertSame(
                "cached views",
                run(images, augmented, kd, views, approval, true),
                run(images, augmented, kd, views, approval, false));
        assertSame(
                "online, augmented",
                run(images, augmented, kd, online, approval, true),
                run(images, augmented, kd, online, approval, false));
        assertThat(threadAlive())
                .as("a prefetch thread outlived its training run")
                .isFalse();
    }

    @Test
    void anErrorWhileFillingIsThrownByFitAndEndsTheThread() throws Exception {
        int arrays = liveArrays();
        FailingStream stream = new FailingStream(ExampleStream.of(ClassifierTrainerTest.TRAIN), 5, null);
        try (SavedModel model = student()) {
            assertThatThrownBy(() -> ClassifierTrainer.builder(ClassifierTrainerTest.config(2))
                            .build()
                            .fit(model, stream, null))
                    .isInstanceOf(IOException.class)
                    .hasMessage("disk gone at batch 5");
        }
        assertThat(stream.readAfterClose.get()).isZero();
        assertThat(stream.closed.get()).isEqualTo(1);
        assertThat(threadAlive()).isFalse();
        assertThat(liveArrays()).as("NDArrays left behind").isEqualTo(arrays);
    }

    @Test
    void anErrorOnTheTrainingThreadWaitsForTheFillingBeforeClosingTheStream() throws Exception {
        int arrays = liveArrays();
        // The filling of batch 4 is slow and still reading when batch 3's listener fails.
        FailingStream stream = new FailingStream(ExampleStream.of(ClassifierTrainerTest.TRAIN), -1, 4);
        try (SavedModel model = student()) {
            assertThatThrownBy(() -> ClassifierTrainer.builder(ClassifierTrainerTest.config(2))
                            .optListener(failingAt(3, () -> {
                                throw new IllegalStateException("listener failed");
                            }))
                            .build()
                            .fit(model, stream, null))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("listener failed");
        }
        assertThat(stream.slowReadFinished.get())
                .as("the slow read was waited for")
                .isEqualTo(1);
        assertThat(stream.readAfterClose.get())
                .as("reads after the stream's close")
                .isZero();
        assertThat(threadAlive()).isFalse();
        assertThat(liveArrays()).as("NDArrays left behind").isEqualTo(arrays);
    }

    @Test
    void anInterruptStopsTrainingWithTheFlagKept() throws Exception {
        int arrays = liveArrays();
        FailingStream stream = new FailingStream(ExampleStream.of(ClassifierTrainerTest.TRAIN), -1, null);
        List<Integer> batches = new ArrayList<>();
        try (SavedModel model = student()) {
            assertThatThrownBy(() -> ClassifierTrainer.builder(ClassifierTrainerTest.config(2))
                            .optListener(new TrainingListener() {
                                @Override
                                public void onBatch(int rowsDone, double meanLoss) {
                                    batches.add(rowsDone);
                                    if (batches.size() == 3) {
                                        Thread.currentThread().interrupt();
                                    }
                                }
                            })
                            .build()
                            .fit(model, stream, null))
                    .isInstanceOf(InterruptedIOException.class);
            assertThat(Thread.currentThread().isInterrupted())
                    .as("interrupt flag kept")
                    .isTrue();
            Thread.interrupted();
        }
        assertThat(batches).hasSize(3);
        assertThat(stream.readAfterClose.get()).isZero();
        assertThat(threadAlive()).isFalse();
        assertThat(liveArrays()).as("NDArrays left behind").isEqualTo(arrays);
    }

    /** What a run produced, compared bit for bit. */
    private record Outcome(List<double[]> epochs, List<float[]> parameters) {}

    private static void assertSame(String what, Outcome a, Outcome b) {
        assertThat(a.epochs()).as(what + ": epochs").hasSameSizeAs(b.epochs());
        for (int i = 0; i < a.epochs().size(); i++) {
            assertThat(a.epochs().get(i))
                    .as(what + ": epoch " + (i + 1))
                    .isEqualTo(b.epochs().get(i));
        }
        assertThat(a.parameters()).as(what + ": parameters").hasSameSizeAs(b.parameters());
        for (int i = 0; i < a.parameters().size(); i++) {
            assertThat(a.parameters().get(i))
                    .as(what + ": parameter " + i)
                    .isEqualTo(b.parameters().get(i));
        }
    }

    private static Outcome run(
            ExampleSet train,
            TrainingConfig config,
            KdParameters kd,
            SoftTargets targets,
            org.distill4j.terms.GateApproval approval,
            boolean prefetch)
            throws Exception {
        List<double[]> epochs = new ArrayList<>();
        List<float[]> parameters = new ArrayList<>();
        try (SavedModel model = SavedModel.create(MLP, train.featureShape(), train.classNames())) {
            ClassifierTrainer.Builder b = ClassifierTrainer.builder(config).optPrefetch(prefetch);
            if (kd != null) {
                b.optDistillation(kd, targets, approval);
            }
            for (EpochRecord e : b.build().fit(model, train, null).history()) {
                epochs.add(new double[] {e.trainLoss(), e.trainSoftLoss(), e.trainHardLoss(), e.trainAccuracy()});
            }
            for (Pair<String, Parameter> p : model.model().getBlock().getParameters()) {
                parameters.add(p.getValue().getArray().toFloatArray());
            }
        }
        return new Outcome(epochs, parameters);
    }

    private static SavedModel student() {
        return SavedModel.create(
                MLP, ClassifierTrainerTest.TRAIN.featureShape(), ClassifierTrainerTest.TRAIN.classNames());
    }

    private static TeacherOutputs randomOutputs(ExampleSet set, String hash) {
        float[] logits = new float[set.size() * set.numClasses()];
        Random rng = new Random(3);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (3 * rng.nextGaussian());
        }
        return new TeacherOutputs(
                ClassifierTrainerTest.teacherId(hash).cacheKey(),
                set.contentHash(),
                set.size(),
                set.numClasses(),
                logits);
    }

    private static TrainingListener failingAt(int batch, Runnable action) {
        AtomicInteger seen = new AtomicInteger();
        return new TrainingListener() {
            @Override
            public void onBatch(int rowsDone, double meanLoss) {
                if (seen.incrementAndGet() == batch) {
                    action.run();
                }
            }
        };
    }

    private static boolean threadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals(BatchPrefetch.THREAD_NAME) && t.isAlive());
    }

    private static int liveArrays() {
        try (NDManager probe = NDManager.newBaseManager("PyTorch")) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }

    /**
     * An in-memory stream that fails at a given batch of its first epoch, or reads a given batch
     * slowly, and counts reads after its epoch was closed.
     */
    private static final class FailingStream implements ExampleStream {
        final ExampleStream inner;
        final int failAt;
        final Integer slowAt;
        final AtomicInteger readAfterClose = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger slowReadFinished = new AtomicInteger();

        FailingStream(ExampleStream inner, int failAt, Integer slowAt) {
            this.inner = inner;
            this.failAt = failAt;
            this.slowAt = slowAt;
        }

        @Override
        public Epoch open(long seed, int batchSize) throws IOException {
            Epoch epoch = inner.open(seed, batchSize);
            return new Epoch() {
                private int batches;
                private volatile boolean isClosed;

                @Override
                public int next(Batch batch) throws IOException {
                    if (isClosed) {
                        readAfterClose.incrementAndGet();
                    }
                    batches++;
                    if (batches == failAt) {
                        throw new IOException("disk gone at batch " + failAt);
                    }
                    if (slowAt != null && batches == slowAt) {
                        try {
                            Thread.sleep(300);
                        } catch (InterruptedException e) {
                            throw new InterruptedIOException("slow read interrupted");
                        }
                        int n = epoch.next(batch);
                        if (isClosed) {
                            readAfterClose.incrementAndGet();
                        }
                        slowReadFinished.incrementAndGet();
                        return n;
                    }
                    return epoch.next(batch);
                }

                @Override
                public void close() {
                    isClosed = true;
                    closed.incrementAndGet();
                    epoch.close();
                }
            };
        }

        @Override
        public String name() {
            return "failing";
        }

        @Override
        public long size() {
            return inner.size();
        }

        @Override
        public long[] featureShape() {
            return inner.featureShape();
        }

        @Override
        public int numClasses() {
            return inner.numClasses();
        }

        @Override
        public List<String> classNames() {
            return inner.classNames();
        }

        @Override
        public boolean hasLabels() {
            return inner.hasLabels();
        }

        @Override
        public String contentHash() {
            return inner.contentHash();
        }

        @Override
        public String teacherKey() {
            return null;
        }
    }
}
