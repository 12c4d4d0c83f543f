package org.distill4j.experiment;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.FeatureShards;
import org.distill4j.data.KeyedLogits;
import org.distill4j.data.ShardStream;
import org.distill4j.io.Hashing;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.MemoryEstimate;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.MappedTeacherOutputs;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.terms.GateApproval;
import org.distill4j.train.Checkpoints;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.SoftTargets;
import org.distill4j.train.TrainingConfig;

/**
 * Trains one role of an experiment (teacher, scratch or distilled student) into {@code OUT/<role>}:
 * reuses a complete model whose {@code training.json} fingerprint matches, otherwise trains with
 * checkpoints (resuming when asked), saves the model and its training record, and documents it.
 */
final class RoleTrainer {

    private final Recipe recipe;
    private final Path out;
    private final Experiment.Options options;
    private final ExperimentListener listener;
    private final ExperimentGate gate;

    RoleTrainer(Recipe recipe, Path out, Experiment.Options options, ExperimentListener listener, ExperimentGate gate) {
        this.gate = gate;
        this.recipe = recipe;
        this.out = out;
        this.options = options;
        this.listener = listener;
    }

    /**
     * Trains the recipe's teacher, or each member of its ensemble: member 1 into {@code
     * OUT/teacher} with the recipe's seed (so a one-teacher recipe's teacher is reused as the
     * first member), member m into {@code OUT/teacher-m} with seed {@code seed + m - 1}; all on the
     * same training split.
     */
    List<Path> teachers(ExperimentData data) throws IOException {
        List<Path> dirs = new ArrayList<>();
        for (int m = 1; m <= recipe.teacher().ensemble(); m++) {
            dirs.add(train(
                    Experiment.teacherRole(m),
                    recipe.teacher().model(),
                    recipe.teacher().training(),
                    data,
                    data.teacherTrain(),
                    null,
                    null,
                    null,
                    recipe.seed() + m - 1));
        }
        return dirs;
    }

    /**
     * Trains (or reuses) a student: from scratch when {@code teacher} is null, else distilled with
     * {@code kd} (the recipe's parameters, the teacher calibrated when it asks).
     */
    Path student(String role, ExperimentData data, ExperimentTeacher teacher, GateApproval approval, KdParameters kd)
            throws IOException {
        TrainingConfig config = teacher == null
                ? recipe.student().scratchTraining()
                : recipe.student().training();
        return train(
                role,
                recipe.student().model(),
                config,
                data,
                studentRows(data, teacher != null),
                teacher,
                approval,
                kd,
                recipe.seed());
    }

    /**
     * The training rows of a student under {@code data.labelled_share}: the labelled share alone for
     * the scratch student, every row (the others unlabelled) for a distilled one; all rows when the
     * share is 1. A distilled student also gets {@code data.unlabelled}'s rows, after those.
     */
    private ExampleSet studentRows(ExperimentData data, boolean distilled) {
        ExampleSets.LabelledShare share =
                ExampleSets.labelledShare(data.train(), recipe.data().studentLabelShare(), recipe.seed());
        if (!distilled) {
            return share.labelled();
        }
        return data.unlabelled() == null
                ? share.transfer()
                : ExampleSets.concat(
                        share.transfer(),
                        data.unlabelled(),
                        share.transfer().name() + " + " + data.unlabelled().name());
    }

    /**
     * Trains the distilled student from feature shards on disk ({@code distill distill
     * --from-shards}): the rows stream through a {@link ShardStream} joined by key with the
     * teacher's logits (a given {@code .logits} file, or computed once into the cache by a local
     * teacher, or, with distillation mode {@code online}, the teacher run on each batch); the
     * recipe's validation rows validate. Memory is bounded by the shuffle buffer and one shard.
     */
    Path studentFromShards(
            String role,
            ExperimentData data,
            FeatureShards shards,
            ExperimentTeacher teacher,
            Path logitsFile,
            int bufferRows,
            GateApproval approval,
            KdParameters kd)
            throws IOException {
        TrainingConfig config = recipe.student().training();
        ModelSpec spec = recipe.student().model();
        Path dir = out.resolve(role);
        TeacherIdentity teacherId = teacher.identity(data.train());
        boolean online = recipe.distillation().mode().equals("online");
        if (!online && !recipe.distillation().mode().equals("cached")) {
            throw new IllegalArgumentException("training from shards supports distillation.mode cached or online, not '"
                    + recipe.distillation().mode() + "'");
        }
        if (recipe.distillation().crossFit() != null) {
            throw new IllegalArgumentException("distillation.cross_fit trains teachers on the rows in memory; it does "
                    + "not apply to training from shards");
        }
        if (!java.util.Arrays.equals(shards.featureShape(), data.train().featureShape())
                || !shards.classNames().equals(data.train().classNames())) {
            throw new IllegalArgumentException("the shards " + shards.dir() + " hold rows of shape "
                    + java.util.Arrays.toString(shards.featureShape()) + " with classes " + shards.classNames()
                    + ", the recipe's data "
                    + java.util.Arrays.toString(data.train().featureShape()) + " with "
                    + data.train().classNames() + "; the student is made for the recipe's data");
        }
        String fingerprint = Hashing.sha256(String.join(
                "\n",
                role,
                spec.toString(),
                config.toString(),
                Long.toString(recipe.seed()),
                "shards:" + shards.contentHash() + " buffer " + bufferRows,
                data.validation() == null ? "-" : data.validation().contentHash(),
                teacherId.cacheKey() + recipe.distillation(),
                approval.fingerprint(),
                Environment.kernelKey()));
        TrainingRecord existing = TrainingRecord.read(dir);
        if (existing != null
                && existing.fingerprint().equals(fingerprint)
                && Files.isRegularFile(dir.resolve(SavedModel.PARAMS))) {
            listener.info(role + ": reusing the model trained from these shards in " + dir);
            return dir;
        }
        MemoryEstimate estimate = MemoryEstimate.of(
                spec, shards.featureShape(), shards.classNames().size(), config.batchSize());
        estimate.require(estimate.trainingBytes(), MemoryEstimate.limit(), role + ": training " + spec.describe());
        String notice = Checkpoints.prepare(dir.resolve("checkpoints"), fingerprint, options.resume());
        if (notice != null) {
            listener.info(role + ": " + notice);
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            KeyedLogits logits = null;
            SoftTargets targets;
            if (online) {
                targets = SoftTargets.online(localTeacher(teacher, "distillation.mode online"));
            } else {
                if (logitsFile != null) {
                    logits = MappedTeacherOutputs.open(logitsFile);
                } else {
                    Teacher local = localTeacher(teacher, "computing its outputs (or pass --teacher-logits FILE)");
                    TeacherOutputCache cache = new TeacherOutputCache(options.cacheDir());
                    var progress = listener.teacherOutputs((int) Math.min(Integer.MAX_VALUE, shards.rows()));
                    logits = cache.getOrComputeMapped(
                            local,
                            shards,
                            manager,
                            512,
                            done -> progress.accept((int) Math.min(Integer.MAX_VALUE, done)));
                    listener.info("teacher outputs on " + shards.rows() + " shard rows: "
                            + (cache.lastWasHit() ? "read from cache " : "computed and cached in ")
                            + cache.fileFor(local.identity(), shards));
                }
                if (!logits.teacherKey().equals(teacherId.cacheKey())) {
                    throw new IllegalArgumentException("the teacher outputs " + logitsFile + " are teacher "
                            + logits.teacherKey() + "'s, but the recipe's teacher is " + teacherId.cacheKey());
                }
                targets = SoftTargets.streamed(logits.teacherKey());
            }
            ShardStream stream = ShardStream.of(shards, logits, bufferRows);
            ClassifierTrainer.Builder builder = ClassifierTrainer.builder(config)
                    .optSeed(recipe.seed())
                    .optCheckpointDir(dir.resolve("checkpoints"))
                    .optResume(options.resume())
                    .optListener(listener.training(role))
                    .optDistillation(kd, targets, approval);
            listener.info(role + ": training " + spec.describe() + " for " + config.epochs() + " epochs from " + shards
                    + ", shuffle buffer " + bufferRows + " rows");
            try (SavedModel model =
                    SavedModel.create(spec, shards.featureShape(), shards.classNames(), data.textFeatures())) {
                ClassifierTrainer.Result result = builder.build().fit(model, stream, data.validation());
                model.save(dir);
                new TrainingRecord(role, fingerprint, result.history()).write(dir);
                ModelDocumentation.forRole(
                                recipe,
                                role,
                                teacherId,
                                result.approval(),
                                teacher.labelCollection(),
                                gate.termsOrigin())
                        .write(dir, data, recipe.seed(), Map.of());
            }
        }
        return dir;
    }

    private static Teacher localTeacher(ExperimentTeacher teacher, String forWhat) {
        if (teacher instanceof LocalTeacher local) {
            return local.teacher();
        }
        throw new IllegalArgumentException("an HTTP teacher cannot be run here for " + forWhat
                + "; collect its outputs " + "on the shards' rows first and pass them with --teacher-logits");
    }

    private Path train(
            String role,
            ModelSpec spec,
            TrainingConfig config,
            ExperimentData data,
            ExampleSet given,
            ExperimentTeacher teacher,
            GateApproval approval,
            KdParameters kd,
            long seed)
            throws IOException {
        Path dir = out.resolve(role);
        // A remote teacher may not have answered every row: the student learns from those it did,
        // and a rerun that collects more of them trains again (the rows' hash is fingerprinted).
        ExampleSet rows = teacher == null ? given : teacher.distillationRows(given);
        String fingerprint = Hashing.sha256(String.join(
                "\n",
                role,
                spec.toString(),
                config.toString(),
                Long.toString(seed),
                rows.contentHash(),
                data.validation() == null ? "-" : data.validation().contentHash(),
                teacher == null ? "-" : teacher.identity(data.train()).cacheKey() + recipe.distillation(),
                approval == null ? "-" : approval.fingerprint(),
                // Results differ between thread counts: a rerun with another count trains again
                // rather than reporting a model trained under other settings.
                Environment.kernelKey()));
        TrainingRecord existing = TrainingRecord.read(dir);
        if (existing != null
                && existing.fingerprint().equals(fingerprint)
                && Files.isRegularFile(dir.resolve(SavedModel.PARAMS))) {
            listener.info(role + ": reusing the model trained from this recipe in " + dir);
            return dir;
        }
        // Refused before anything is computed, deleted or allocated: a model too large for the machine.
        MemoryEstimate estimate = MemoryEstimate.of(
                spec, data.train().featureShape(), data.train().numClasses(), config.batchSize());
        estimate.require(estimate.trainingBytes(), MemoryEstimate.limit(), role + ": training " + spec.describe());
        ClassifierTrainer.Builder builder = ClassifierTrainer.builder(config)
                .optSeed(seed)
                .optCheckpointDir(dir.resolve("checkpoints"))
                .optResume(options.resume())
                .optListener(listener.training(role));
        // Deletes only checkpoints distill4j wrote; on resume, only those of another configuration.
        String notice = Checkpoints.prepare(dir.resolve("checkpoints"), fingerprint, options.resume());
        if (notice != null) {
            listener.info(role + ": " + notice);
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            if (teacher != null) {
                builder.optDistillation(kd, teacher.softTargets(rows, manager), approval);
            }
            // Without labels the distilled student learns from the teacher alone; the rows (and so
            // the cached teacher outputs, indexed by row) are the same.
            ExampleSet trainRows =
                    teacher != null && !recipe.distillation().useLabels() ? ExampleSets.withoutLabels(rows) : rows;
            listener.info(role + ": training " + spec.describe() + " for " + config.epochs() + " epochs");
            try (SavedModel model = SavedModel.create(
                    spec, data.train().featureShape(), data.train().classNames(), data.textFeatures())) {
                ClassifierTrainer.Result result = builder.build().fit(model, trainRows, data.validation());
                model.save(dir);
                new TrainingRecord(role, fingerprint, result.history()).write(dir);
                ModelDocumentation.forRole(
                                recipe,
                                role,
                                teacher == null ? null : teacher.identity(data.train()),
                                result.approval(),
                                teacher == null ? null : teacher.labelCollection(),
                                gate.termsOrigin())
                        .write(dir, data, seed, Map.of());
            }
        }
        return dir;
    }
}
