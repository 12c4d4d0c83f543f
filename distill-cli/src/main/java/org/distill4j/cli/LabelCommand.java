package org.distill4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.distill4j.experiment.Experiment;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.http.CollectionResult;
import org.distill4j.teacher.http.UsageReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code distill label RECIPE}: collect the outputs of the recipe's HTTP teacher ({@code
 * teacher.source: http}) on its splits, into {@code OUT/teacher_outputs/<split>/}, resumably; a
 * later {@code distill run} of the same recipe and output directory asks the API nothing again.
 */
@Command(
        name = "label",
        mixinStandardHelpOptions = true,
        description = {
            "Collect the outputs of the recipe's HTTP teacher (teacher.source: http) on the training "
                    + "rows (and the test rows, unless teacher.http.evaluate_test is false) into "
                    + "OUT/teacher_outputs/<split>/journal.jsonl. Interrupted runs resume where they stopped; "
                    + "completed items are never requested again, failed ones are retried.",
            "Exit code 7 if some items failed for good (rerun to retry them) or the server rejected the key."
        })
final class LabelCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE", description = "Recipe file (YAML) with teacher.source: http.")
    Path recipeFile;

    @Option(
            names = "--split",
            split = ",",
            paramLabel = "SPLIT",
            description = "Splits to label: train, validation, test (default: train, plus test if evaluate_test).")
    List<String> splits;

    @Option(
            names = "--spark",
            paramLabel = "MASTER",
            description = "Label on Spark instead (local teachers): prints the spark-submit command of the optional "
                    + "distill-spark module for this recipe and MASTER, and exits with code 2 (docs/scale-out.md).")
    String sparkMaster;

    @Mixin
    ExperimentOptions options;

    @Override
    public Integer call() throws Exception {
        if (sparkMaster != null) {
            // The CLI jar carries no Spark (a cluster brings its own, and spark-submit ships the
            // job): the job runs from the distill-spark module, started by spark-submit.
            System.out.println("distill label --spark runs as a Spark application; start it with:\n"
                    + "  spark-submit --master " + sparkMaster + " --class org.distill4j.spark.LabelJob \\\n"
                    + "    --jars \"$(cat distill-spark/target/classpath.txt | tr : ,)\" \\\n"
                    + "    distill-spark/target/distill-spark-*.jar " + recipeFile + " OUT [--split train]\n"
                    + "(classpath.txt: mvn -pl distill-spark dependency:build-classpath "
                    + "-Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime; see docs/scale-out.md)");
            return ExitCodes.USAGE;
        }
        Recipe recipe = options.load(recipeFile);
        Experiment experiment = options.experiment(recipe);
        Map<String, CollectionResult> results = experiment.collectTeacherOutputs(splits);
        boolean complete = true;
        for (Map.Entry<String, CollectionResult> e : results.entrySet()) {
            CollectionResult r = e.getValue();
            UsageReport u = r.usage();
            complete &= r.complete();
            System.out.printf(
                    Locale.ROOT,
                    "%s: %d rows, %d answered, %d failed; %d unique items (%d from the journal, %d collected now); "
                            + "%d requests, %d retries, errors %s; %d prompt + %d completion tokens; %.1f s, %.1f items/s%n",
                    e.getKey(),
                    u.itemsTotal(),
                    r.succeededRows().length,
                    r.failedRows().size(),
                    u.itemsUnique(),
                    u.itemsFromJournal(),
                    u.itemsCollected(),
                    u.requestsSent(),
                    u.retries(),
                    u.errorsByKind(),
                    u.promptTokens(),
                    u.completionTokens(),
                    u.wallSeconds(),
                    u.itemsPerSecond());
            if (!u.itemsByLabelSource().isEmpty()
                    && !u.itemsByLabelSource().keySet().equals(java.util.Set.of("logprobs"))) {
                System.out.printf(
                        Locale.ROOT,
                        "  labels by source %s; %d answers named no label (counted, not labelled)%s%n",
                        u.itemsByLabelSource(),
                        u.answersUnmappable(),
                        u.logprobsUnsupported() ? "; the server gave no log-probabilities" : "");
            }
            if (u.itemsMostlyOutside() > 0) {
                System.out.printf(
                        Locale.ROOT,
                        "  %d items put more than half their probability outside the labels "
                                + "(renormalised away; check the prompt template)%n",
                        u.itemsMostlyOutside());
            }
            r.failedRows().stream()
                    .limit(5)
                    .forEach(f -> System.out.printf(
                            Locale.ROOT,
                            "  failed row %d (%s after %d attempts): %s%n",
                            f.row(),
                            f.kind(),
                            f.attempts(),
                            f.message()));
            if (r.failedRows().size() > 5) {
                System.out.printf(
                        Locale.ROOT,
                        "  ... %d more failed rows (see %s)%n",
                        r.failedRows().size() - 5,
                        experiment.teacherOutputsDir(e.getKey()));
            }
            System.out.println(
                    "  journal: " + experiment.teacherOutputsDir(e.getKey()).toAbsolutePath());
        }
        if (!complete) {
            System.err.println("distill: some items failed for good; rerun the same command to retry them");
            return ExitCodes.TEACHER_API;
        }
        return ExitCodes.OK;
    }
}
