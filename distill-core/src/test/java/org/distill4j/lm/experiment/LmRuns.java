package org.distill4j.lm.experiment;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Runs a language-model experiment in a test: unknown terms acknowledged, the log returned. */
final class LmRuns {

    private LmRuns() {}

    /**
     * Runs {@code recipe} into {@code out} with its caches in {@code cache}.
     *
     * @return what the experiment logged
     */
    static String run(LmRecipe recipe, Path out, Path cache) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new LmExperiment(
                        recipe,
                        out,
                        new LmExperiment.Options(cache, null, true),
                        new PrintStream(log, true, StandardCharsets.UTF_8))
                .run();
        return log.toString(StandardCharsets.UTF_8);
    }
}
