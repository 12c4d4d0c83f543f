package org.distill4j.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.Consumer;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleStream;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.DistillationStep;
import org.distill4j.loss.KdParameters;
import org.distill4j.loss.TeacherTable;
import org.distill4j.model.OneDnnIsa;
import org.distill4j.model.SavedModel;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.GateApproval;

/**
 * Trains a classifier with mini-batches, on hard labels alone or distilled from a teacher's soft
 * targets with {@link DistillationLoss}.
 *
 * <p>Reproducible: every epoch's shuffling, augmentation, dropout and (for the first epoch)
 * initialisation are drawn from generators seeded by (seed, epoch), so the same seed gives
 * identical metrics on CPU, and a run resumed from the checkpoint of epoch k ends with the same
 * metrics as one that was never interrupted: bit for bit at a fixed PyTorch thread count on one
 * machine (results differ between thread counts and CPU models; {@code distill bench stress}
 * checks it, see {@code docs/engine.md}). With a checkpoint directory, a complete checkpoint
 * (parameters, optimiser state, history) is written atomically after every epoch.
 *
 * <p>Rows come from an in-memory {@link ExampleSet} or, for data larger than memory, an {@link
 * ExampleStream} of batches (e.g. feature shards on disk joined with the teacher's logits); the
 * in-memory set is read as a stream too, in the order it always had.
 *
 * <p>A non-finite loss stops training before the bad update with a {@link
 * TrainingDivergedException}; the last good checkpoint is kept.
 *
 * <p>This class runs the batches; validation, checkpointing (and resuming) and the divergence
 * check are hooks of their own ({@code Validation}, {@code Checkpointing}, {@code
 * DivergenceCheck}), and progress goes to a {@link TrainingListener}. Training runs on the engine
 * and device the builder names (PyTorch on the CPU by default).
 */
public final class ClassifierTrainer {

    private final TrainingConfig config;
    private final KdParameters kd;
    private final SoftTargets targets;
    private final long seed;
    private final Path checkpointDir;
    private final boolean resume;
    private final TrainingListener listener;
    private final GateApproval approval;
    private final Device device;
    private final String engineName;
    private final Consumer<NDManager> batchProbe;
    private final boolean prefetching;

    private ClassifierTrainer(Builder b) {
        this.config = b.config;
        this.kd = b.kd;
        this.targets = b.targets;
        this.seed = b.seed;
        this.checkpointDir = b.checkpointDir;
        this.resume = b.resume;
        this.listener = b.listener;
        this.approval = b.approval;
        this.device = b.device;
        this.engineName = b.engine;
        this.batchProbe = b.batchProbe;
        this.prefetching = b.prefetch;
    }

    /** Starts a builder; the configuration is required. */
    public static Builder builder(TrainingConfig config) {
        return new Builder(config);
    }

    /**
     * What a training run produced.
     *
     * @param history one record per epoch, resumed epochs included
     * @param resumedAfterEpoch the checkpoint's epoch training resumed after, 0 when it started anew
     * @param approval the gate's approval the student was distilled under, or null (hard labels)
     */
    public record Result(List<EpochRecord> history, int resumedAfterEpoch, GateApproval approval) {
        /** Defensive copy. */
        public Result {
            history = List.copyOf(history);
        }
    }

    /**
     * Trains {@code model} in place.
     *
     * @param model a model created by {@link SavedModel#create} (parameters are initialised here)
     * @param train training rows; rows without a label only contribute to the soft term
     * @param validation validation rows, or null for none
     * @return the per-epoch history
     * @throws IOException if a checkpoint cannot be written or read
     * @throws TrainingDivergedException if the loss becomes non-finite
     */
    public Result fit(SavedModel model, ExampleSet train, ExampleSet validation) throws IOException {
        checkCompatible(model, train, "training");
        if (targets instanceof SoftTargets.Streamed) {
            throw new IllegalArgumentException("streamed soft targets come with the batches of an ExampleStream; "
                    + "train with fit(model, ExampleStream, validation)");
        }
        return fitStream(model, ExampleStream.of(train), validation);
    }

    /**
     * Trains {@code model} in place from a stream of batches, e.g. a {@link org.distill4j.data.ShardStream} over data
     * larger than memory. Each epoch opens the stream with a seed drawn from (seed, epoch). Soft
     * targets are {@link SoftTargets#streamed} (the stream carries the teacher's logits; its
     * teacher key must be the approved one) or {@link SoftTargets#online}; cached and view
     * targets are indexed by in-memory rows and need {@link #fit(SavedModel, ExampleSet,
     * ExampleSet)}. An in-memory set given as {@link ExampleStream#of} trains exactly as {@code
     * fit} does.
     *
     * @param model a model created by {@link SavedModel#create}
     * @param train the training stream (at most {@link Integer#MAX_VALUE} rows an epoch)
     * @param validation validation rows (in memory), or null for none
     * @return the per-epoch history
     * @throws IOException if the stream cannot be read, or a checkpoint cannot be written or read
     * @throws TrainingDivergedException if the loss becomes non-finite
     */
    public Result fit(SavedModel model, ExampleStream train, ExampleSet validation) throws IOException {
        checkCompatible(model, train);
        if (train.teacherKey() == null && targets instanceof SoftTargets.Streamed) {
            throw new IllegalArgumentException("training stream " + train.name()
                    + " carries no teacher logits, but the " + "soft targets are streamed");
        }
        if (targets instanceof SoftTargets.Streamed streamed
                && !streamed.teacherKey().equals(train.teacherKey())) {
            throw new IllegalArgumentException("training stream " + train.name() + " carries the logits of teacher "
                    + train.teacherKey() + " but the soft targets (and the gate's approval) name teacher "
                    + streamed.teacherKey());
        }
        if (targets instanceof SoftTargets.Cached || targets instanceof SoftTargets.Views) {
            throw new IllegalArgumentException("cached and view soft targets are looked up by in-memory row: train "
                    + "with fit(model, ExampleSet, validation), or stream the logits with the batches "
                    + "(SoftTargets.streamed)");
        }
        return fitStream(model, train, validation);
    }

    @SuppressWarnings("try") // a ShutdownBarrier hold is held, never referenced
    private Result fitStream(SavedModel model, ExampleStream train, ExampleSet validation) throws IOException {
        if (validation != null) {
            checkCompatible(model, validation, "validation");
        }
        if (kd.alpha() < 1 && !train.hasLabels()) {
            throw new IllegalArgumentException("training set " + train.name() + " has no labels, so alpha=" + kd.alpha()
                    + " leaves nothing to learn from the hard-label term; use alpha: 1");
        }
        if (config.augment().enabled() && targets != null && !targets.followsAugmentation()) {
            throw new IllegalArgumentException("augmentation with cached teacher outputs would pair augmented "
                    + "images with soft targets of the originals; use distillation mode 'online' or 'views', "
                    + "or drop augment");
        }
        checkAugmentation();
        if (train.size() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("training stream " + train.name() + " has " + train.size()
                    + " rows; an epoch holds at most " + Integer.MAX_VALUE);
        }
        DistillationLoss loss = new DistillationLoss(kd);
        int stepsPerEpoch = (int) ((train.size() + config.batchSize() - 1) / config.batchSize());
        // The loop's concerns, each a hook of its own, in the order they see an epoch's record.
        List<EpochHook> hooks = new ArrayList<>();
        if (validation != null) {
            hooks.add(new Validation(validation));
        }
        Checkpointing checkpointing = checkpointDir == null
                ? null
                : new Checkpointing(new Checkpoints(checkpointDir, fingerprint(model, train)), resume, listener);
        if (checkpointing != null) {
            hooks.add(checkpointing);
        }
        hooks.add(new DivergenceCheck(config, checkpointing));
        List<EpochRecord> history = new ArrayList<>();

        Engine engine = Engine.getEngine(engineName);
        engine.setRandomSeed(seedFor(0));
        CheckpointableOptimizer optimizer = new CheckpointableOptimizer(
                config, stepsPerEpoch, model.model().getBlock().getParameters());
        for (EpochHook h : hooks) {
            h.beforeTrainer(model);
        }
        DefaultTrainingConfig djlConfig =
                new DefaultTrainingConfig(loss).optOptimizer(optimizer).optDevices(new Device[] {device});
        int resumedAfter = 0;
        try (Trainer trainer = model.model().newTrainer(djlConfig);
                NDManager run = NDManager.newBaseManager(device, engineName)) {
            trainer.initialize(model.inputShape(config.batchSize()));
            OneDnnIsa.warnIfExposed(model.model().getBlock());
            EpochHook.State state = new EpochHook.State(model, optimizer, history, run);
            for (EpochHook h : hooks) {
                resumedAfter = Math.max(resumedAfter, h.onTrainingStart(state));
            }
            // Two slots of host buffers and loss state: one trained while the other is filled (see
            // BatchPrefetch); the loss's per-batch work is built on the host, one constant per slot.
            BatchPrefetch.Slot[] slots = new BatchPrefetch.Slot[2];
            for (int i = 0; i < 2; i++) {
                slots[i] = new BatchPrefetch.Slot(
                        new ExampleStream.Batch(config.batchSize(), train.featureSize(), train.numClasses()),
                        train.numClasses(),
                        new DistillationStep(
                                effectiveKd(), train.numClasses(), config.batchSize(), DataType.FLOAT32, run));
            }
            TeacherTable table = teacherTable(run);
            try (BatchPrefetch prefetch = new BatchPrefetch(prefetching, slots[0], slots[1])) {
                for (int epoch = resumedAfter + 1; epoch <= config.epochs(); epoch++) {
                    engine.setRandomSeed(seedFor(epoch));
                    EpochRecord record = trainEpoch(epoch, trainer, optimizer, table, train, run, prefetch, hooks);
                    // Validation and the checkpoint write are native work too (ShutdownBarrier).
                    try (ShutdownBarrier.Step hold = ShutdownBarrier.step()) {
                        for (EpochHook h : hooks) {
                            record = h.onEpochEnd(state, record);
                        }
                    }
                    history.add(record);
                    listener.onEpochEnd(record);
                }
            }
        }
        return new Result(history, resumedAfter, approval);
    }

    private EpochRecord trainEpoch(
            int epoch,
            Trainer trainer,
            CheckpointableOptimizer optimizer,
            TeacherTable table,
            ExampleStream train,
            NDManager run,
            BatchPrefetch prefetch,
            List<EpochHook> hooks)
            throws IOException {
        int n = (int) train.size();
        Random augmentRng = new Random(seedFor(epoch) * 131L + 11);
        long[] featureShape = train.featureShape();
        int featureSize = train.featureSize();
        listener.onEpochStart(epoch, config.epochs(), n);
        EpochSums stats = new EpochSums();
        long start = System.nanoTime();
        int from = 0;
        // The in-memory stream draws the order the trainer always drew: new Random(seed * 31 + 7).
        try (ExampleStream.Epoch rowsOfEpoch = train.open(seedFor(epoch) * 31L + 7, config.batchSize())) {
            // Batches are filled in training order (on the prefetch thread, one after another), so
            // the augmentation's generator sees the sequence it always saw.
            prefetch.start(slot -> fill(slot, rowsOfEpoch, epoch, table, featureShape, featureSize, augmentRng));
            try {
                for (BatchPrefetch.Slot slot; (slot = prefetch.take()).count > 0; from += slot.count) {
                    trainBatch(epoch, from, slot, trainer, optimizer, run, hooks, featureShape, stats);
                    listener.onBatch(from + slot.count, stats.sumLoss / stats.batches);
                }
            } finally {
                // Never close the epoch's stream under a filling still reading it.
                prefetch.drain();
            }
        }
        if (from != n) {
            throw new IllegalStateException("training stream " + train.name() + " gave " + from + " rows in epoch "
                    + epoch + ", expected " + n);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new EpochRecord(
                epoch,
                stats.sumLoss / stats.batches,
                stats.sumSoft / stats.batches,
                stats.sumHard / stats.batches,
                stats.labelled == 0 ? Double.NaN : (double) stats.correct / stats.labelled,
                Double.NaN,
                Double.NaN,
                seconds,
                n / seconds,
                optimizer.learningRate());
    }

    /** Running sums of an epoch. */
    private static final class EpochSums {
        double sumLoss;
        double sumSoft;
        double sumHard;
        int batches;
        long correct;
        long labelled;
    }

    /**
     * Fills a slot with the epoch's next batch: rows, augmentation (or the epoch's view) and, when
     * the teacher's side is a table or there is none, the loss's weights. Host work only (it runs
     * on the prefetch thread); an online or streamed teacher's weights are prepared in {@link
     * #trainBatch}.
     */
    private void fill(
            BatchPrefetch.Slot slot,
            ExampleStream.Epoch rowsOfEpoch,
            int epoch,
            TeacherTable table,
            long[] featureShape,
            int featureSize,
            Random augmentRng)
            throws IOException {
        ExampleStream.Batch batch = slot.batch;
        int count = rowsOfEpoch.next(batch);
        slot.count = count;
        slot.weightsReady = false;
        if (count == 0) {
            return;
        }
        int[] rows = batch.rows();
        float[] features = batch.features();
        int view = -1;
        if (targets instanceof SoftTargets.Views views) {
            // The view the teacher scored when the views were computed, rebuilt row by row.
            view = views.viewFor(epoch);
            for (int i = 0; i < count; i++) {
                views.applyView(features, i, rows[i], view, featureShape);
            }
        } else {
            // One augmented batch feeds both the student and an online teacher (x below).
            config.augment().apply(features, count, featureShape, augmentRng);
        }
        slot.features.fill(features, count * featureSize);
        if (table == null && distils()) {
            return;
        }
        int[] teacherRows = rows;
        if (table != null && view >= 0) {
            // Views' table rows are (row, view) pairs.
            teacherRows = new int[count];
            int k = ((SoftTargets.Views) targets).views();
            for (int i = 0; i < count; i++) {
                teacherRows[i] = rows[i] * k + view;
            }
        }
        DistillationStep step = slot.step;
        step.prepare(count, batch.labels(), table, table == null ? null : teacherRows);
        slot.weights.fill(step.floatWeights(), (int) step.weightShape().size());
        slot.weightsReady = true;
    }

    @SuppressWarnings("try") // a ShutdownBarrier hold is held, never referenced
    private void trainBatch(
            int epoch,
            int from,
            BatchPrefetch.Slot slot,
            Trainer trainer,
            CheckpointableOptimizer optimizer,
            NDManager run,
            List<EpochHook> hooks,
            long[] featureShape,
            EpochSums stats) {
        int count = slot.count;
        ExampleStream.Batch batchBuffers = slot.batch;
        long[] labels = batchBuffers.labels();
        DistillationStep step = slot.step;
        try (ShutdownBarrier.Step hold = ShutdownBarrier.step();
                NDManager batch = run.newSubManager()) {
            // Through the slot's pinned buffers: no direct buffer allocated per batch.
            NDArray x = slot.features.tensor(batch, batchShape(featureShape, count));
            if (!slot.weightsReady && targets instanceof SoftTargets.Streamed) {
                // Streamed logits arrive with the batch; rows are independent, so a per-batch table
                // equals the rows of a whole-run one.
                int classes = slot.classes;
                float[] logits = batchBuffers.teacherLogits();
                int values = count * classes;
                if (logits.length != values) {
                    logits = Arrays.copyOf(logits, values);
                }
                step.prepare(count, labels, TeacherTable.of(logits, classes, kd.teacherTemperature(), batch), null);
            } else if (!slot.weightsReady) {
                // An online teacher: its distribution on this very batch.
                step.prepare(
                        count,
                        labels,
                        TeacherTable.of(targets.logits(batchBuffers.rows(), x), kd.teacherTemperature()),
                        null);
            }
            if (!slot.weightsReady) {
                slot.weights.fill(step.floatWeights(), (int) step.weightShape().size());
            }
            NDArray weights = slot.weights.tensor(batch, step.weightShape());
            optimizer.beginStep();
            DistillationStep.Values values;
            NDArray predictions;
            try (GradientCollector gc = trainer.newGradientCollector()) {
                predictions = trainer.forward(new NDList(x)).head();
                DistillationStep.Forward forward = step.forward(predictions, weights);
                values = step.read(forward);
                for (EpochHook h : hooks) {
                    h.onBatchLoss(epoch, from / config.batchSize() + 1, values.total());
                }
                gc.backward(forward.target());
            }
            trainer.step();
            stats.sumLoss += values.total();
            stats.sumSoft += values.soft();
            stats.sumHard += values.hard();
            stats.batches++;
            long[] predicted = predictions.argMax(1).toLongArray();
            for (int i = 0; i < count; i++) {
                // A mixed image has no label of its own: training accuracy is left undefined (NaN).
                if (labels[i] >= 0 && !config.augment().mixes()) {
                    stats.labelled++;
                    stats.correct += predicted[i] == labels[i] ? 1 : 0;
                }
            }
            batchProbe.accept(batch);
        }
    }

    private static Shape batchShape(long[] featureShape, int rows) {
        long[] dims = new long[featureShape.length + 1];
        dims[0] = rows;
        System.arraycopy(featureShape, 0, dims, 1, featureShape.length);
        return new Shape(dims);
    }

    /** Whether the soft term is computed: a teacher and alpha &gt; 0. */
    private boolean distils() {
        return targets != null && kd.alpha() > 0;
    }

    /** The loss's parameters as trained: without soft targets the hard term alone (alpha 0). */
    private KdParameters effectiveKd() {
        return distils() ? kd : new KdParameters(kd.temperature(), 0);
    }

    /**
     * The teacher's distribution on every cached row (or every row's every view), computed once per
     * run; null for an online teacher (computed per batch) and without distillation.
     */
    private TeacherTable teacherTable(NDManager run) {
        if (!distils()) {
            return null;
        }
        if (targets instanceof SoftTargets.Views views) {
            return TeacherTable.of(views.logits(), views.classes(), kd.teacherTemperature(), run);
        }
        if (targets instanceof SoftTargets.Cached cached) {
            return TeacherTable.of(cached.outputs().logits(), cached.outputs().classes(), kd.teacherTemperature(), run);
        }
        return null;
    }

    /** Checks that augmentation, soft targets and the hard-label term fit together. */
    private void checkAugmentation() {
        Augmentation augment = config.augment();
        if (targets instanceof SoftTargets.Views views && !views.augmentation().equals(augment)) {
            throw new IllegalArgumentException("the teacher's cached views were drawn with " + views.augmentation()
                    + " but training uses augment " + augment + "; compute the views with the training augmentation");
        }
        if (!augment.mixes()) {
            return;
        }
        if (targets == null || !targets.followsAugmentation()) {
            throw new IllegalArgumentException("augment mixup/cutmix mixes two rows, so only a teacher that scores "
                    + "the mixed row can supply its target: use distillation mode 'online' or 'views'");
        }
        if (kd.alpha() != 1) {
            throw new IllegalArgumentException("augment mixup/cutmix mixes two rows, so the hard-label term does "
                    + "not apply (it is off with mixing): alpha is " + kd.alpha() + ", must be 1.0");
        }
    }

    private int seedFor(int epoch) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 31)) * 0x94D049BB133111EBL;
        return (int) (z ^ (z >>> 29)) & 0x7fffffff;
    }

    private static void checkCompatible(SavedModel model, ExampleStream stream) {
        if (stream.size() == 0) {
            throw new IllegalArgumentException("training stream " + stream.name() + " is empty");
        }
        if (!Arrays.equals(model.descriptor().featureShape(), stream.featureShape())) {
            throw new IllegalArgumentException("training stream " + stream.name() + " has rows of shape "
                    + Arrays.toString(stream.featureShape()) + " but the model expects "
                    + Arrays.toString(model.descriptor().featureShape()));
        }
        if (model.numClasses() != stream.numClasses()) {
            throw new IllegalArgumentException("training stream " + stream.name() + " has " + stream.numClasses()
                    + " classes but the model has " + model.numClasses());
        }
    }

    private static void checkCompatible(SavedModel model, ExampleSet set, String role) {
        if (set.size() == 0) {
            throw new IllegalArgumentException(role + " set " + set.name() + " is empty");
        }
        if (!Arrays.equals(model.descriptor().featureShape(), set.featureShape())) {
            throw new IllegalArgumentException(role + " set " + set.name() + " has rows of shape "
                    + Arrays.toString(set.featureShape()) + " but the model expects "
                    + Arrays.toString(model.descriptor().featureShape()));
        }
        if (model.numClasses() != set.numClasses()) {
            throw new IllegalArgumentException(role + " set " + set.name() + " has " + set.numClasses()
                    + " classes but the model has " + model.numClasses());
        }
    }

    /** Identifies what a checkpoint belongs to, so a resume never mixes runs. */
    private String fingerprint(SavedModel model, ExampleStream train) {
        return String.join(
                "|",
                model.architectureKey(),
                config.toString(),
                kd.toString(),
                Long.toString(seed),
                train.contentHash(),
                targets == null
                        ? "none"
                        : targets instanceof SoftTargets.Views v
                                ? "Views(" + v.views() + ", seed " + v.seed() + ")"
                                : targets.getClass().getSimpleName(),
                approval == null ? "no-approval" : approval.fingerprint());
    }

    /** Builder: {@code setX} for required values, {@code optX} for optional ones. */
    public static final class Builder {
        private final TrainingConfig config;
        private KdParameters kd = new KdParameters(1, 0);
        private SoftTargets targets;
        private long seed = 42;
        private Path checkpointDir;
        private boolean resume;
        private TrainingListener listener = TrainingListener.NONE;
        private GateApproval approval;
        private Device device = Device.cpu();
        private String engine = SavedModel.DEFAULT_ENGINE;
        private Consumer<NDManager> batchProbe = batch -> {};
        private boolean prefetch = true;

        private Builder(TrainingConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /**
         * Distils from {@code targets} with (T, alpha); without this, training uses hard labels
         * only. Learning from a teacher's outputs needs the teacher's terms cleared by the {@link
         * DistillationGate}: its approval can only be obtained from the gate, so no caller of the
         * library can skip the check.
         *
         * @param parameters (T, alpha)
         * @param softTargets where the teacher's logits come from
         * @param approval the gate's approval for this teacher and student
         * @throws IllegalArgumentException if the approval was granted for another teacher than
         *     the one the soft targets come from
         */
        public Builder optDistillation(KdParameters parameters, SoftTargets softTargets, GateApproval approval) {
            this.kd = Objects.requireNonNull(parameters, "parameters");
            this.targets = Objects.requireNonNull(softTargets, "softTargets");
            Objects.requireNonNull(approval, "approval: distillation needs the DistillationGate's approval");
            if (!approval.covers(softTargets.teacherKey())) {
                throw new IllegalArgumentException("the gate's approval was granted for teacher "
                        + approval.teacher().cacheKey() + " ("
                        + approval.teacher().location() + "), but the soft "
                        + "targets come from teacher " + softTargets.teacherKey() + "; an approval covers only the "
                        + "teacher it names: ask the DistillationGate for one with GateRequest.withTeacher(identity) "
                        + "of this teacher");
            }
            this.approval = approval;
            return this;
        }

        /**
         * Sets the device to train on (default the CPU), e.g. {@code Device.gpu()} when the
         * engine has one; the model's parameters and every batch are placed there.
         */
        public Builder optDevice(Device value) {
            this.device = Objects.requireNonNull(value, "device");
            return this;
        }

        /**
         * Sets the DJL engine by name (default PyTorch); the model must have been made for the same
         * engine ({@link SavedModel.Builder#optEngine}).
         */
        public Builder optEngine(String value) {
            this.engine = Objects.requireNonNull(value, "engine");
            return this;
        }

        /** Sets the seed of all randomness (default 42). */
        public Builder optSeed(long value) {
            this.seed = value;
            return this;
        }

        /** Writes a checkpoint after every epoch into this directory. */
        public Builder optCheckpointDir(Path dir) {
            this.checkpointDir = dir;
            return this;
        }

        /** Continues from the newest checkpoint in the checkpoint directory, if there is one. */
        public Builder optResume(boolean value) {
            this.resume = value;
            return this;
        }

        /** Receives progress events. */
        public Builder optListener(TrainingListener value) {
            this.listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /**
         * For tests: sees each batch's manager after the step, before it closes (what a batch
         * keeps on the device, e.g. {@code getManagedArrays()}).
         */
        Builder optBatchProbe(Consumer<NDManager> value) {
            this.batchProbe = Objects.requireNonNull(value, "batchProbe");
            return this;
        }

        /**
         * Whether the next batch is prepared on a second thread while the current one trains
         * (default true): its rows read and augmented, the loss's weights built and both copied
         * into pinned buffers. The results are bit-identical either way; off, everything runs on
         * the training thread (e.g. on a single core, where the second thread only competes).
         */
        public Builder optPrefetch(boolean value) {
            this.prefetch = value;
            return this;
        }

        /** Builds the trainer. */
        public ClassifierTrainer build() {
            return new ClassifierTrainer(this);
        }
    }
}
