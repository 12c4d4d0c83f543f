package org.distill4j.audit;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.TextFeatures;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.teacher.TeacherOutputs;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.TermsRegistry;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.SoftTargets;
import org.distill4j.train.TrainingConfig;

/**
 * Tiny models for the audit's tests, trained for real: the one place the tests call the training
 * library (so an API change there is adapted here only).
 */
final class AuditModels {

    private AuditModels() {}

    static TrainingConfig config(int epochs) {
        return TrainingConfig.of(epochs, 64, null, 0.005, null, null, null, null, null);
    }

    /** Trains an MLP from scratch on true labels and saves it to {@code dir}. */
    static Path scratch(List<Integer> hidden, int epochs, long seed, ExampleSet train, Path dir) throws Exception {
        try (SavedModel m = SavedModel.create(new MlpSpec(hidden, null, 0), train.featureShape(), train.classNames())) {
            ClassifierTrainer.builder(config(epochs)).optSeed(seed).build().fit(m, train, null);
            m.save(dir);
        }
        return dir;
    }

    /** Distils an MLP from the teacher in {@code teacherDir} (cached soft targets) and saves it. */
    static Path distilled(
            Path teacherDir, List<Integer> hidden, int epochs, long seed, double alpha, ExampleSet train, Path dir)
            throws Exception {
        try (SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir);
                NDManager manager = NDManager.newBaseManager("PyTorch");
                SavedModel m =
                        SavedModel.create(new MlpSpec(hidden, null, 0), train.featureShape(), train.classNames())) {
            TeacherOutputs outputs = TeacherOutputCache.compute(teacher, train, manager, 256, done -> {});
            ClassifierTrainer.builder(config(epochs))
                    .optSeed(seed)
                    .optDistillation(
                            new KdParameters(2, alpha),
                            SoftTargets.cached(outputs),
                            new DistillationGate()
                                    .approve(GateRequest.forTeacher(
                                                    TermsRegistry.builtIn().get("mit"), "student")
                                            .withTeacher(teacher.identity())))
                    .build()
                    .fit(m, train, null);
            m.save(dir);
        }
        return dir;
    }

    /** Whether {@code dir} already holds a saved model (an evaluation rerun reuses it). */
    static boolean saved(Path dir) {
        return Files.isRegularFile(dir.resolve(SavedModel.DESCRIPTOR))
                && Files.isRegularFile(dir.resolve(SavedModel.PARAMS));
    }

    /**
     * Trains any architecture from scratch on true labels and saves it, unless {@code dir} already
     * holds a model.
     */
    static Path scratch(ModelSpec spec, TrainingConfig config, long seed, ExampleSet train, TextFeatures text, Path dir)
            throws Exception {
        if (saved(dir)) {
            return dir;
        }
        try (SavedModel m = SavedModel.create(spec, train.featureShape(), train.classNames(), text)) {
            ClassifierTrainer.builder(config).optSeed(seed).build().fit(m, train, null);
            m.save(dir);
        }
        return dir;
    }

    /**
     * Distils any architecture from the teacher in {@code teacherDir} at temperature 2 and saves
     * it, unless {@code dir} already holds a model: with cached soft targets (computed once on the
     * training rows) or online ones (the teacher run on every batch as the student sees it, after
     * the configuration's augmentation).
     */
    static Path distilled(
            Path teacherDir,
            ModelSpec spec,
            TrainingConfig config,
            long seed,
            double alpha,
            boolean online,
            ExampleSet train,
            TextFeatures text,
            Path dir)
            throws Exception {
        if (saved(dir)) {
            return dir;
        }
        try (SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir);
                NDManager manager = NDManager.newBaseManager("PyTorch");
                SavedModel m = SavedModel.create(spec, train.featureShape(), train.classNames(), text)) {
            SoftTargets targets = online
                    ? SoftTargets.online(teacher)
                    : SoftTargets.cached(TeacherOutputCache.compute(teacher, train, manager, 256, done -> {}));
            ClassifierTrainer.builder(config)
                    .optSeed(seed)
                    .optDistillation(
                            new KdParameters(2, alpha),
                            targets,
                            new DistillationGate()
                                    .approve(GateRequest.forTeacher(
                                                    TermsRegistry.builtIn().get("mit"), "student")
                                            .withTeacher(teacher.identity())))
                    .build()
                    .fit(m, train, null);
            m.save(dir);
        }
        return dir;
    }
}
