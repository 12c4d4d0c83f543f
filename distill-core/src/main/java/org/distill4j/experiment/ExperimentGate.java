package org.distill4j.experiment;

import java.util.List;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.terms.DistillationGate;
import org.distill4j.terms.DistillationRefusedException;
import org.distill4j.terms.GateApproval;
import org.distill4j.terms.GateDecision;
import org.distill4j.terms.GateRequest;
import org.distill4j.terms.Permission;
import org.distill4j.terms.TermsRegistry;

/**
 * The experiment's questions to the {@link DistillationGate}: what the recipe's teacher terms,
 * student name and the options' permission or acknowledgement make of a request, a check before
 * any costly work, and the approval bound to the teacher once it is known. A teacher the recipe
 * trains itself, with no terms declared, is the user's own model.
 */
final class ExperimentGate {

    private final Recipe recipe;
    private final Experiment.Options options;
    private TermsRegistry registry;

    ExperimentGate(Recipe recipe, Experiment.Options options) {
        this.recipe = recipe;
        this.options = options;
    }

    GateDecision evaluate() {
        return new DistillationGate().evaluate(request());
    }

    GateDecision check() throws DistillationRefusedException {
        return new DistillationGate().check(request());
    }

    GateApproval approve(TeacherIdentity teacher) throws DistillationRefusedException {
        return new DistillationGate().approve(request().withTeacher(teacher));
    }

    /** Loaded once, so the gate and the provenance see the same entry (and file hash). */
    private TermsRegistry registry() {
        if (registry == null) {
            Recipe.TeacherSection t = recipe.teacher();
            registry = TermsRegistry.load(t.termsFile() == null ? List.of() : List.of(t.termsFile()));
        }
        return registry;
    }

    /** Where the recipe's terms entry came from, for the provenance, or null when it declares none. */
    java.util.Map<String, Object> termsOrigin() {
        String id = recipe.teacher().terms();
        return id == null ? null : registry().originOf(id).toMap();
    }

    private GateRequest request() {
        Recipe.TeacherSection t = recipe.teacher();
        TermsRegistry registry = registry();
        String student = recipe.student().name();
        GateRequest request = t.terms() != null
                ? GateRequest.forTeacher(registry.get(t.terms()), student)
                : t.source().equals("train")
                        ? GateRequest.ownModel(null, student)
                        : GateRequest.unknownTeacher(student);
        if (options.permission() != null) {
            request = request.withPermission(Permission.recordedNow(
                    options.permission(), System.getProperty("user.name", "unknown"), java.time.Clock.systemUTC()));
        }
        return options.acknowledgeUnknownTerms() ? request.acknowledgingUnknownTerms() : request;
    }
}
