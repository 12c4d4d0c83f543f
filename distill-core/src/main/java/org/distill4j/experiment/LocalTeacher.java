package org.distill4j.experiment;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.distill4j.data.ExampleSet;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.eval.Predictions;
import org.distill4j.eval.ServingCost;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.EnsembleTeacher;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.teacher.TeacherOutputs;
import org.distill4j.train.SoftTargets;

/**
 * A teacher running in this process (trained here, a saved distill4j model, TorchScript or ONNX): soft
 * targets from the on-disk output cache ({@code cached}) or from a forward pass per batch ({@code
 * online}); serving cost measured like the students'.
 */
final class LocalTeacher implements ExperimentTeacher {

    private final Teacher teacher;
    private final Recipe recipe;
    private final Path cacheDir;
    private final ExperimentListener listener;

    LocalTeacher(Teacher teacher, Recipe recipe, Path cacheDir, ExperimentListener listener) {
        this.teacher = teacher;
        this.recipe = recipe;
        this.cacheDir = cacheDir;
        this.listener = listener;
    }

    /** Returns the teacher. */
    Teacher teacher() {
        return teacher;
    }

    @Override
    public TeacherIdentity identity(ExampleSet train) {
        return teacher.identity();
    }

    @Override
    public ExampleSet distillationRows(ExampleSet train) {
        return train;
    }

    @Override
    public SoftTargets softTargets(ExampleSet rows, NDManager manager) throws IOException {
        if (recipe.distillation().mode().equals("online")) {
            return SoftTargets.online(teacher);
        }
        if (recipe.distillation().mode().equals("views")) {
            int k = recipe.distillation().views();
            TeacherOutputCache cache = new TeacherOutputCache(cacheDir);
            SoftTargets.Views views = SoftTargets.views(
                    teacher,
                    rows,
                    recipe.student().training().augment(),
                    k,
                    recipe.seed(),
                    cache,
                    manager,
                    512,
                    listener.teacherOutputs(Math.multiplyExact(rows.size(), k)));
            listener.info("teacher outputs on " + k + " augmented views of " + rows.size() + " training rows (mode: "
                    + "views): " + (cache.lastWasHit() ? "read from cache" : "computed and cached"));
            return views;
        }
        if (recipe.distillation().crossFit() != null) {
            int k = recipe.distillation().crossFit();
            listener.info("cross-fitted teacher outputs: training " + k + " teachers, each scoring the fold it did "
                    + "not train on (distillation.cross_fit; not cached on disk)");
            return SoftTargets.cached(org.distill4j.train.CrossFit.outputs(
                    teacher.identity().cacheKey(),
                    recipe.teacher().model(),
                    recipe.teacher().training(),
                    rows,
                    k,
                    recipe.seed(),
                    manager));
        }
        TeacherOutputCache cache = new TeacherOutputCache(cacheDir);
        TeacherOutputs outputs = cache.getOrCompute(teacher, rows, manager, 512, listener.teacherOutputs(rows.size()));
        listener.info("teacher outputs on " + rows.size() + " training rows: "
                + (cache.lastWasHit() ? "read from cache " : "computed and cached in ")
                + cache.fileFor(teacher.identity(), rows));
        return SoftTargets.cached(outputs);
    }

    @Override
    public Predictions testPredictions(ExampleSet test, NDManager manager) {
        return Predictions.of(teacher, test, manager, 512);
    }

    @Override
    public Predictions validationPredictions(ExampleSet validation, NDManager manager) {
        return Predictions.of(teacher, validation, manager, 512);
    }

    @Override
    public ModelMetrics metrics(Predictions p, ExampleSet test, NDManager manager) throws IOException {
        ServingCost cost = ServingCost.measure(
                teacher::logits,
                test,
                manager,
                recipe.evaluation().latencyRuns(),
                recipe.evaluation().throughputBatch());
        long params = 0;
        long size = 0;
        for (Teacher t : teacher instanceof EnsembleTeacher e ? e.members() : java.util.List.of(teacher)) {
            if (t instanceof SavedModelTeacher s) {
                params += s.model().parameterCount();
                size += Files.size(Path.of(t.identity().location()).resolve(SavedModel.PARAMS));
            } else {
                params = -1;
                size += Files.size(Path.of(t.identity().location()));
            }
        }
        return new ModelMetrics(
                p.accuracy(test),
                p.macroF1(test),
                p.errors(test),
                test.size(),
                params,
                size,
                1.0,
                0.0,
                cost.latencyMsP50(),
                cost.latencyMsP99(),
                cost.throughputPerS(),
                cost.batch());
    }

    @Override
    public Map<String, Object> labelCollection() {
        return null;
    }

    @Override
    public void close() {
        teacher.close();
    }
}
