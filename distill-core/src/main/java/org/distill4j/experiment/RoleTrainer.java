package org.distill4j.experiment;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.io.Hashing;
import org.distill4j.model.MemoryEstimate;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.terms.GateApproval;
import org.distill4j.train.Checkpoints;
import org.distill4j.train.ClassifierTrainer;
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

    Path teacher(ExperimentData data) throws IOException {
        return train(
                Experiment.TEACHER, recipe.teacher().model(), recipe.teacher().training(), data, null, null);
    }

    Path student(String role, ExperimentData data, ExperimentTeacher teacher, GateApproval approval)
            throws IOException {
        TrainingConfig config = recipe.student().training();
        if (teacher == null && config.augment().mixes()) {
            // Mixup and cutmix need the teacher's target for the mixed image (there is no hard
            // label for it), so the scratch twin keeps the recipe's shifts and flips only.
            config = config.toBuilder()
                    .optAugmentation(config.augment().perRow())
                    .build();
        }
        return train(role, recipe.student().model(), config, data, teacher, approval);
    }

    private Path train(
            String role,
            ModelSpec spec,
            TrainingConfig config,
            ExperimentData data,
            ExperimentTeacher teacher,
            GateApproval approval)
            throws IOException {
        Path dir = out.resolve(role);
        // A remote teacher may not have answered every row: the student learns from those it did,
        // and a rerun that collects more of them trains again (the rows' hash is fingerprinted).
        ExampleSet rows = teacher == null ? data.train() : teacher.distillationRows(data.train());
        String fingerprint = Hashing.sha256(String.join(
                "\n",
                role,
                spec.toString(),
                config.toString(),
                Long.toString(recipe.seed()),
                rows.contentHash(),
                data.validation() == null ? "-" : data.validation().contentHash(),
                teacher == null ? "-" : teacher.identity(data.train()).cacheKey() + recipe.distillation(),
                approval == null ? "-" : approval.fingerprint(),
                // Results differ between thread counts: a rerun with another count trains again
                // rather than reporting a model trained under other settings.
                "threads=" + Environment.threads().intraOp()));
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
                .optSeed(recipe.seed())
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
                builder.optDistillation(
                        recipe.distillation().parameters(), teacher.softTargets(rows, manager), approval);
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
                        .write(dir, data, recipe.seed(), Map.of());
            }
        }
        return dir;
    }
}
