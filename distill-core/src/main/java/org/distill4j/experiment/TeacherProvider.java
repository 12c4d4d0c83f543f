package org.distill4j.experiment;

import java.io.IOException;
import java.nio.file.Path;
import org.distill4j.model.SavedModel;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.OnnxTeacher;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TorchScriptTeacher;

/**
 * Obtains the recipe's teacher as the experiment uses it: trained here (through the {@link
 * RoleTrainer}), loaded from a distill4j directory or a TorchScript file, or behind an HTTP API.
 */
final class TeacherProvider {

    private final Recipe recipe;
    private final Path out;
    private final Experiment.Options options;
    private final ExperimentListener listener;
    private final RoleTrainer trainer;

    TeacherProvider(
            Recipe recipe, Path out, Experiment.Options options, ExperimentListener listener, RoleTrainer trainer) {
        this.recipe = recipe;
        this.out = out;
        this.options = options;
        this.listener = listener;
        this.trainer = trainer;
    }

    ExperimentTeacher obtain(ExperimentData data) throws IOException {
        Recipe.TeacherSection t = recipe.teacher();
        if (t.source().equals("http")) {
            return RemoteTeacher.of(t.http(), data.textFeatures() != null, out, listener);
        }
        Teacher local = switch (t.source()) {
            case "train" -> Experiment.openTrained(trainer.teachers(data));
            case "distill4j" -> checkTextFeatures(SavedModelTeacher.load(t.path()), data);
            case "torchscript" -> TorchScriptTeacher.load(t.path());
            case "onnx" -> OnnxTeacher.load(t.path());
            default -> throw new IllegalStateException("unvalidated teacher source " + t.source());
        };
        return new LocalTeacher(local, recipe, options.cacheDir(), listener);
    }

    /**
     * A saved text teacher reads ids of its own featurisation: fed another one's, it would answer
     * confidently and wrongly, so a mismatch is an error rather than a silent loss.
     */
    private static Teacher checkTextFeatures(SavedModelTeacher teacher, ExperimentData data) throws IOException {
        var own = teacher.model().descriptor().textFeatures();
        if (own != null && !own.equals(data.textFeatures())) {
            Path dir = Path.of(teacher.identity().location());
            teacher.close();
            throw new IOException("teacher " + dir + " was trained on text features " + own + " but the recipe's "
                    + "data.features are " + data.textFeatures() + "; set data.features to the teacher's ("
                    + "see text_features in its " + SavedModel.DESCRIPTOR + ")");
        }
        return teacher;
    }
}
