package org.distill4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.eval.Predictions;
import org.distill4j.experiment.ExperimentData;
import org.distill4j.io.AtomicFiles;
import org.distill4j.loss.KdParameters;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.EnsembleTeacher;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.Teacher;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The results of an {@link AccuracyBenchmark}: every student run, the summaries of the Table-1
 * rows, and their rendering as JSON, PNG charts and a Markdown section.
 *
 * @param summary headline numbers (teacher, scratch and distilled statistics, gap closed, choice of T and alpha)
 * @param runs every student run, grouped by benchmark row
 * @param machine where it ran
 */
public record AccuracyReport(
        Map<String, Object> summary, Map<String, List<StudentRun>> runs, Map<String, String> machine) {

    static AccuracyReport of(
            Recipe recipe,
            Teacher teacher,
            List<Integer> memberTestErrors,
            Predictions teacherTest,
            Predictions teacherVal,
            ExperimentData data,
            KdParameters chosen,
            List<StudentRun> sweepT,
            List<StudentRun> sweepAlpha,
            List<StudentRun> sweepScratch,
            List<StudentRun> scratch,
            List<StudentRun> distilled,
            List<StudentRun> transfer,
            List<StudentRun> sizes,
            AccuracyBenchmark.Settings settings,
            Map<String, String> machine) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("recipe", recipe.name());
        s.put(
                "rows",
                Map.of(
                        "train",
                        data.train().size(),
                        "validation",
                        data.validation().size(),
                        "test",
                        data.test().size()));
        Map<String, Object> t = new LinkedHashMap<>();
        List<SavedModelTeacher> members = teacher instanceof EnsembleTeacher e
                ? e.members().stream().map(m -> (SavedModelTeacher) m).toList()
                : List.of((SavedModelTeacher) teacher);
        String first = members.get(0).model().spec().describe();
        t.put("model", members.size() == 1 ? first : "ensemble of " + members.size() + " x " + first);
        t.put(
                "params",
                members.stream().mapToLong(m -> m.model().parameterCount()).sum());
        if (members.size() > 1) {
            t.put("member_test_errors", memberTestErrors);
        }
        t.put("test_accuracy", teacherTest.accuracy(data.test()));
        t.put("test_errors", teacherTest.errors(data.test()));
        t.put("test_macro_f1", teacherTest.macroF1(data.test()));
        t.put("val_accuracy", teacherVal.accuracy(data.validation()));
        s.put("teacher", t);
        s.put("student_model", recipe.student().model().describe());
        s.put("student_training", recipe.student().training().toString());
        s.put("chosen_temperature", chosen.temperature());
        s.put("chosen_alpha", chosen.alpha());
        s.put("correct_teacher", chosen.correctTeacher());
        s.put(
                "chosen_by",
                "validation accuracy of seed " + settings.seeds().get(0)
                        + " (T sweep at the recipe's alpha, then alpha sweep at the best T)");
        boolean augments = recipe.student().training().augment().enabled();
        s.put("student_augments", augments);
        s.put(
                "scratch_training",
                sweepScratch.isEmpty()
                        ? "the recipe's"
                        : scratchTraining(scratch.get(0), augments) + " (chosen on validation among "
                                + sweepScratch.size() + ")");
        if (recipe.data().splitsTeacherRows()) {
            s.put("teacher_split", recipe.data().teacherSplit());
            s.put("teacher_rows", data.teacherTrain().size());
        }
        double share = recipe.data().studentLabelShare();
        if (share < 1) {
            s.put("labelled_share", share);
            s.put(
                    "labelled_rows",
                    org.distill4j.data.ExampleSets.labelledShare(data.train(), share, recipe.seed())
                            .labelled()
                            .size());
            s.put(
                    "labelled_draw",
                    settings.redrawLabels()
                            ? "per student seed (the recipe's seed plus the student's; the sweeps: the recipe's)"
                            : "the recipe's seed, the same for every student");
        }
        Map<String, Object> sc = rowSummary(scratch);
        Map<String, Object> di = rowSummary(distilled);
        s.put("scratch", sc);
        s.put("distilled", di);
        double teacherErrors = teacherTest.errors(data.test());
        double scratchErr = (double) sc.get("test_errors_mean");
        double distErr = (double) di.get("test_errors_mean");
        s.put("gap_closed", (scratchErr - distErr) / (scratchErr - teacherErrors));
        double diff = (double) di.get("test_accuracy_mean") - (double) sc.get("test_accuracy_mean");
        double maxStd = Math.max((double) di.get("test_accuracy_std"), (double) sc.get("test_accuracy_std"));
        s.put("accuracy_gain", diff);
        s.put("accuracy_gain_in_max_std", maxStd == 0 ? Double.NaN : diff / maxStd);
        double f1Diff = (double) di.get("test_macro_f1_mean") - (double) sc.get("test_macro_f1_mean");
        double f1Std = Math.max((double) di.get("test_macro_f1_std"), (double) sc.get("test_macro_f1_std"));
        s.put("macro_f1_gain", f1Diff);
        s.put("macro_f1_gain_in_max_std", f1Std == 0 ? Double.NaN : f1Diff / f1Std);
        s.put("settings", AccuracyBenchmark.describe(settings));
        Map<String, List<StudentRun>> runs = new LinkedHashMap<>();
        runs.put("sweep_T", sweepT);
        runs.put("sweep_alpha", sweepAlpha);
        runs.put("sweep_scratch", sweepScratch);
        runs.put("scratch", scratch);
        runs.put("distilled", distilled);
        runs.put("transfer", transfer);
        runs.put("sizes", sizes);
        return new AccuracyReport(s, runs, machine);
    }

    private static Map<String, Object> rowSummary(List<StudentRun> runs) {
        Stats errors = Stats.of(runs.stream().map(r -> (double) r.testErrors()).toList());
        Stats acc = Stats.of(runs.stream().map(StudentRun::testAccuracy).toList());
        Stats val = Stats.of(runs.stream().map(StudentRun::valAccuracy).toList());
        Stats train = Stats.of(runs.stream().map(StudentRun::trainAccuracy).toList());
        Stats agree = Stats.of(runs.stream().map(StudentRun::agreement).toList());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seeds", runs.size());
        m.put("params", runs.get(0).params());
        m.put("test_errors_mean", errors.mean());
        m.put("test_errors_std", errors.std());
        m.put("test_accuracy_mean", acc.mean());
        m.put("test_accuracy_std", acc.std());
        m.put("val_accuracy_mean", val.mean());
        m.put("train_accuracy_mean", train.mean());
        m.put("agreement_mean", agree.mean());
        Stats f1 = Stats.of(runs.stream().map(StudentRun::testMacroF1).toList());
        m.put("test_macro_f1_mean", f1.mean());
        m.put("test_macro_f1_std", f1.std());
        return m;
    }

    /** Writes {@code OUT/bench-accuracy.json}, and in {@code docs} its copy, the charts and the Markdown section. */
    public void write(Path out, Path docs) throws IOException {
        byte[] json = AccuracyBenchmark.MAPPER.writeValueAsBytes(this);
        AtomicFiles.write(out.resolve(AccuracyBenchmark.JSON), json);
        Files.createDirectories(docs);
        if (!docs.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            AtomicFiles.write(docs.resolve(AccuracyBenchmark.JSON), json);
        }
        AtomicFiles.write(docs.resolve(AccuracyBenchmark.CHART_T), png(temperatureChart()));
        if (!runs.get("sizes").isEmpty()) {
            AtomicFiles.write(docs.resolve(AccuracyBenchmark.CHART_SIZE), png(sizeChart()));
        }
        BenchmarkDoc.replaceSection(docs.resolve("benchmarks.md"), "accuracy", markdown());
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> teacher() {
        return (Map<String, Object>) summary.get("teacher");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> row(String name) {
        return (Map<String, Object>) summary.get(name);
    }

    /** Returns the Markdown section (tables and chart links). */
    public String markdown() {
        StringBuilder md = new StringBuilder();
        Map<String, Object> t = teacher();
        Map<String, Object> sc = row("scratch");
        Map<String, Object> di = row("distilled");
        @SuppressWarnings("unchecked")
        Map<String, Object> rows = (Map<String, Object>) summary.get("rows");
        int testRows = ((Number) rows.get("test")).intValue();
        md.append("### Accuracy (generated by `distill bench accuracy`)\n\n");
        md.append(f(
                "Run %s on %s (%s, nproc %s, %s), PyTorch threads %s, load at the end `%s`.%n%n",
                machine.get("date"),
                machine.get("cpu_model"),
                machine.get("os"),
                machine.get("nproc"),
                machine.get("memory_total"),
                machine.get("pytorch_threads"),
                machine.get("loadavg")));
        md.append(f(
                "Data: %s training, %s validation, %s test rows. Student: %s; training %s.%n%n",
                rows.get("train"),
                rows.get("validation"),
                rows.get("test"),
                summary.get("student_model"),
                summary.get("student_training")));
        if (summary.get("labelled_share") != null) {
            md.append(f(
                    "Labels: the students may use those of %s training rows (`data.labelled_share: %s`, a "
                            + "class-stratified share drawn with %s); the scratch students train on "
                            + "them alone, the distilled ones on all %s training rows, learning from the teacher's "
                            + "outputs alone on the others. %s%n%n",
                    summary.get("labelled_rows"),
                    num(summary.get("labelled_share")),
                    String.valueOf(summary.get("labelled_draw")).startsWith("per student seed")
                            ? "a seed of each student seed's own (`--redraw-labels`: the recipe's seed plus the "
                                    + "student's), so the spread over seeds includes the draw; the sweeps use the "
                                    + "recipe's draw"
                            : "the recipe's seed, the same rows for every student seed",
                    rows.get("train"),
                    summary.get("teacher_rows") == null
                            ? "The teacher learnt from every label."
                            : f(
                                    "The teacher learnt from %s other rows (`data.teacher_split: %s`), never from "
                                            + "the students' rows.",
                                    summary.get("teacher_rows"), num(summary.get("teacher_split")))));
        }
        md.append(f(
                "Chosen on validation accuracy only: **T = %s, alpha = %s** (%s).%n%n",
                num(summary.get("chosen_temperature")), num(summary.get("chosen_alpha")), summary.get("chosen_by")));
        md.append("| model | params | test errors (of ")
                .append(testRows)
                .append(") | test accuracy | train accuracy (last epoch) | agreement with teacher |\n");
        md.append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
        md.append(f(
                "| teacher: %s | %,d | %d | %.2f%% | | |%n",
                t.get("model"),
                ((Number) t.get("params")).longValue(),
                ((Number) t.get("test_errors")).intValue(),
                100 * (double) t.get("test_accuracy")));
        md.append(rowLine("student from scratch", sc));
        md.append(rowLine(
                f(
                        "student distilled (T=%s, alpha=%s%s)",
                        num(summary.get("chosen_temperature")),
                        num(summary.get("chosen_alpha")),
                        Boolean.TRUE.equals(summary.get("correct_teacher")) ? ", teacher corrected" : ""),
                di));
        for (StudentRun r : runs.get("transfer")) {
            String label = r.transfer().endsWith("/unlabeled")
                    ? f("distilled on training images, no labels (T=%s, alpha=1)", num(r.temperature()))
                    : f(
                            "distilled, class %s omitted from the transfer set (its test accuracy %.1f%%)",
                            r.transfer().substring(r.transfer().lastIndexOf('-') + 1),
                            100 * r.omittedClassTestAccuracy());
            md.append(f(
                    "| %s | %,d | %d | %.2f%% | %s | %.2f%% |%n",
                    label + " (seed " + r.seed() + ")",
                    r.params(),
                    r.testErrors(),
                    100 * r.testAccuracy(),
                    Double.isNaN(r.trainAccuracy()) ? "n/a (no labels)" : f("%.2f%%", 100 * r.trainAccuracy()),
                    100 * r.agreement()));
        }
        if (t.get("member_test_errors") != null) {
            md.append(f(
                    "%nThe teacher is the mean probability of its members, whose test errors are %s (each alone).%n",
                    t.get("member_test_errors")));
        }
        md.append(f(
                "%nScratch and distilled: mean ± sample std over %s seeds. Distillation closes **%.0f%%** of the "
                        + "teacher-scratch error gap (Hinton et al.'s MNIST: (146 - 74) / (146 - 67) = 91%%); "
                        + "accuracy gain %+.2f points = %.1f x the larger std.%n%n",
                sc.get("seeds"),
                100 * (double) summary.get("gap_closed"),
                100 * (double) summary.get("accuracy_gain"),
                (double) summary.get("accuracy_gain_in_max_std")));
        if (!Double.isNaN((double) sc.get("test_macro_f1_mean"))) {
            md.append(f(
                    "Test macro-F1 (the unweighted mean of the classes' F1): scratch %.2f ± %.2f, distilled %.2f ± "
                            + "%.2f, teacher %.2f; gain %+.2f points = %.1f x the larger std.%n%n",
                    100 * (double) sc.get("test_macro_f1_mean"),
                    100 * (double) sc.get("test_macro_f1_std"),
                    100 * (double) di.get("test_macro_f1_mean"),
                    100 * (double) di.get("test_macro_f1_std"),
                    100 * (double) t.get("test_macro_f1"),
                    100 * (double) summary.get("macro_f1_gain"),
                    (double) summary.get("macro_f1_gain_in_max_std")));
        }
        md.append("Temperature sweep (seed ")
                .append(runs.get("sweep_T").get(0).seed())
                .append("):\n\n");
        sweepTable(md, runs.get("sweep_T"));
        md.append("\nAlpha sweep at the best temperature:\n\n");
        sweepTable(md, runs.get("sweep_alpha"));
        List<StudentRun> sweepScratch = runs.getOrDefault("sweep_scratch", List.of());
        boolean recipeAugments = !Boolean.FALSE.equals(summary.get("student_augments"));
        if (!sweepScratch.isEmpty()) {
            md.append(f(
                    "%nThe scratch twin's training (augmentation; with a labelled share, also the schedule), chosen on "
                            + "validation (seed %d); scratch rows use %s:%n%n",
                    sweepScratch.get(0).seed(), summary.get("scratch_training")));
            md.append("| scratch training | val accuracy | test accuracy | test errors | train accuracy |\n");
            md.append("| --- | ---: | ---: | ---: | ---: |\n");
            for (StudentRun r : sweepScratch) {
                md.append(f(
                        "| %s | %.2f%% | %.2f%% | %d | %.2f%% |%n",
                        scratchTraining(r, recipeAugments),
                        100 * r.valAccuracy(),
                        100 * r.testAccuracy(),
                        r.testErrors(),
                        100 * r.trainAccuracy()));
            }
        }
        List<StudentRun> sizes = runs.get("sizes");
        long teacherParams = ((Number) t.get("params")).longValue();
        if (!sizes.isEmpty()) {
            md.append("\nStudent size (one hidden layer, seed ")
                    .append(sizes.get(0).seed())
                    .append(", distilled at the chosen T and alpha):\n\n");
            md.append(
                    "| student (MLP hidden widths or architecture) | params | teacher/student params | scratch test acc | distilled test acc | scratch train acc | distilled train acc |\n");
            md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for (int i = 0; i + 1 < sizes.size(); i += 2) {
                StudentRun s = sizes.get(i);
                StudentRun d = sizes.get(i + 1);
                md.append(f(
                        "| %s | %,d | %.0fx | %.2f%% | %.2f%% | %.2f%% | %.2f%% |%n",
                        s.hidden(),
                        s.params(),
                        (double) teacherParams / s.params(),
                        100 * s.testAccuracy(),
                        100 * d.testAccuracy(),
                        100 * s.trainAccuracy(),
                        100 * d.trainAccuracy()));
            }
        }
        md.append("\n![accuracy vs temperature](")
                .append(AccuracyBenchmark.CHART_T)
                .append(")\n\n");
        if (!sizes.isEmpty()) {
            md.append("![accuracy vs student size](")
                    .append(AccuracyBenchmark.CHART_SIZE)
                    .append(")\n\n");
        }
        md.append("Raw numbers: [`")
                .append(AccuracyBenchmark.JSON)
                .append("`](")
                .append(AccuracyBenchmark.JSON)
                .append(").\n");
        return md.toString();
    }

    private static String rowLine(String label, Map<String, Object> m) {
        return f(
                "| %s | %,d | %.1f ± %.1f | %.2f%% ± %.2f | %.2f%% | %.2f%% |%n",
                label,
                ((Number) m.get("params")).longValue(),
                (double) m.get("test_errors_mean"),
                (double) m.get("test_errors_std"),
                100 * (double) m.get("test_accuracy_mean"),
                100 * (double) m.get("test_accuracy_std"),
                100 * (double) m.get("train_accuracy_mean"),
                100 * (double) m.get("agreement_mean"));
    }

    private static void sweepTable(StringBuilder md, List<StudentRun> runs) {
        md.append("| T | alpha | val accuracy | test accuracy | test errors | train accuracy | agreement |\n");
        md.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (StudentRun r : runs) {
            md.append(f(
                    "| %s | %s | %.2f%% | %.2f%% | %d | %.2f%% | %.2f%% |%n",
                    num(r.temperature()),
                    num(r.alpha()),
                    100 * r.valAccuracy(),
                    100 * r.testAccuracy(),
                    r.testErrors(),
                    100 * r.trainAccuracy(),
                    100 * r.agreement()));
        }
    }

    XYChart temperatureChart() {
        List<StudentRun> sweep = runs.get("sweep_T");
        XYChart c = chart(
                "Distilled student: accuracy vs temperature (alpha "
                        + num(sweep.get(0).alpha()) + ")",
                "temperature T (log scale)",
                "accuracy (%)");
        c.getStyler().setXAxisLogarithmic(true);
        double[] x = sweep.stream().mapToDouble(StudentRun::temperature).toArray();
        add(
                c,
                "distilled, validation",
                x,
                sweep.stream().mapToDouble(r -> 100 * r.valAccuracy()).toArray());
        add(
                c,
                "distilled, test",
                x,
                sweep.stream().mapToDouble(r -> 100 * r.testAccuracy()).toArray());
        double scratchTest = 100 * (double) row("scratch").get("test_accuracy_mean");
        double teacherTest = 100 * (double) teacher().get("test_accuracy");
        double lo = x[0];
        double hi = x[x.length - 1];
        add(c, "scratch (mean of seeds), test", new double[] {lo, hi}, new double[] {scratchTest, scratchTest})
                .setMarker(SeriesMarkers.NONE);
        add(c, "teacher, test", new double[] {lo, hi}, new double[] {teacherTest, teacherTest})
                .setMarker(SeriesMarkers.NONE);
        return c;
    }

    XYChart sizeChart() {
        List<StudentRun> sizes = runs.get("sizes");
        List<StudentRun> s = new ArrayList<>();
        List<StudentRun> d = new ArrayList<>();
        for (StudentRun r : sizes) {
            (r.distilled() ? d : s).add(r);
        }
        XYChart c = chart(
                "Student size vs test accuracy (MLP, one hidden layer)",
                "student parameters (log scale)",
                "test accuracy (%)");
        c.getStyler().setXAxisLogarithmic(true);
        add(
                c,
                "from scratch",
                s.stream().mapToDouble(StudentRun::params).toArray(),
                s.stream().mapToDouble(r -> 100 * r.testAccuracy()).toArray());
        add(
                c,
                "distilled",
                d.stream().mapToDouble(StudentRun::params).toArray(),
                d.stream().mapToDouble(r -> 100 * r.testAccuracy()).toArray());
        return c;
    }

    private static XYChart chart(String title, String x, String y) {
        XYChart c = new XYChartBuilder()
                .width(900)
                .height(520)
                .title(title)
                .xAxisTitle(x)
                .yAxisTitle(y)
                .build();
        c.getStyler().setLegendPosition(LegendPosition.OutsideS);
        c.getStyler().setDecimalPattern("#0.##");
        return c;
    }

    private static XYSeries add(XYChart c, String name, double[] x, double[] y) {
        XYSeries s = c.addSeries(name, x, y);
        s.setMarker(SeriesMarkers.CIRCLE);
        return s;
    }

    static byte[] png(XYChart chart) throws IOException {
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    static String num(Object v) {
        double d = ((Number) v).doubleValue();
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** A scratch run's training in words: its augmentation and, when not the recipe's, its epochs. */
    static String scratchTraining(StudentRun r, boolean recipeAugments) {
        String aug = r.key().contains(" | without augmentation")
                ? "without augmentation"
                : recipeAugments ? "the recipe's augmentation" : "the recipe's training";
        int at = r.key().lastIndexOf(" epochs");
        if (at < 0) {
            return aug;
        }
        String head = r.key().substring(0, at);
        return aug + ", " + head.substring(head.lastIndexOf('|') + 2) + " epochs";
    }
}
