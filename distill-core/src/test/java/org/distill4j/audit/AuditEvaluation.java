package org.distill4j.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.teacher.http.ApiKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The audit's evaluation on Fashion-MNIST: students distilled from a teacher against models that
 * were not, at several query budgets; ROC AUC, TPR at the strictest threshold with no false
 * positive, and the p-values. Runs only with {@code -Daudit.eval=true} (see tools/audit-eval.sh
 * for the small and the full configuration); writes {@code target/audit-eval/results.json}.
 */
@EnabledIfSystemProperty(named = "audit.eval", matches = "true")
class AuditEvaluation {

    static int prop(String name, int def) {
        return Integer.getInteger("audit.eval." + name, def);
    }

    @Test
    void evaluate() throws Exception {
        Path data = Path.of(System.getProperty("audit.eval.data", "/usr/share/datasets/fashion-mnist"));
        int trainRows = prop("train", 6000);
        int testRows = prop("test", 2000);
        int distilledCount = prop("distilled", 4);
        int independentCount = prop("independent", 6);
        int referenceCount = prop("references", 5);
        int epochs = prop("epochs", 8);
        List<Integer> budgets = new ArrayList<>();
        for (String b : System.getProperty("audit.eval.budgets", "100,1000").split(",")) {
            budgets.add(Integer.parseInt(b.trim()));
        }
        Path out = Path.of("target/audit-eval");
        Path models = out.resolve("models");
        Files.createDirectories(models);
        long t0 = System.nanoTime();
        IdxDataset idx = IdxDataset.load(data);
        ExampleSet train = ExampleSets.slice(
                idx.train(), 0, Math.min(trainRows, idx.train().size()));
        ExampleSet test =
                ExampleSets.slice(idx.test(), 0, Math.min(testRows, idx.test().size()));
        List<List<Integer>> archs = List.of(List.of(64), List.of(128), List.of(256));

        Path teacher = AuditModels.scratch(List.of(256), epochs, 1, train, models.resolve("teacher"));
        List<Path> distilled = new ArrayList<>();
        for (int i = 0; i < distilledCount; i++) {
            double alpha = i % 2 == 0 ? 1.0 : 0.7;
            distilled.add(AuditModels.distilled(
                    teacher, archs.get(i % 2), epochs, 100 + i, alpha, train, models.resolve("distilled-" + i)));
        }
        List<Path> independent = new ArrayList<>();
        for (int i = 0; i < independentCount; i++) {
            independent.add(
                    AuditModels.scratch(archs.get(i % 3), epochs, 200 + i, train, models.resolve("independent-" + i)));
        }
        List<Path> references = new ArrayList<>();
        for (int i = 0; i < referenceCount; i++) {
            references.add(
                    AuditModels.scratch(archs.get(i % 3), epochs, 300 + i, train, models.resolve("reference-" + i)));
        }
        double trainSeconds = (System.nanoTime() - t0) / 1e9;

        Map<String, Object> results = new LinkedHashMap<>();
        StringBuilder table = new StringBuilder(
                "| queries | AUC | TPR, no false positive | distilled p < 0.01 | "
                        + "independent p < 0.01 | distilled p-values | independent p-values |\n|---|---|---|---|---|---|---|\n");
        for (int budget : budgets) {
            List<Double> pd = new ArrayList<>();
            List<Double> pi = new ArrayList<>();
            for (Path s : distilled) {
                pd.add(audit(teacher, s, references, test, budget, out).pValue());
            }
            for (Path s : independent) {
                pi.add(audit(teacher, s, references, test, budget, out).pValue());
            }
            double auc = 0;
            for (double a : pd) {
                for (double b : pi) {
                    auc += a < b ? 1 : a == b ? 0.5 : 0;
                }
            }
            auc /= pd.size() * pi.size();
            double minIndependent =
                    pi.stream().mapToDouble(Double::doubleValue).min().orElse(1);
            double tpr = pd.stream().filter(p -> p < minIndependent).count() / (double) pd.size();
            long dBelow = pd.stream().filter(p -> p < 0.01).count();
            long iBelow = pi.stream().filter(p -> p < 0.01).count();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("auc", auc);
            r.put("tpr_no_false_positive", tpr);
            r.put("distilled_p", pd);
            r.put("independent_p", pi);
            results.put("queries_" + budget, r);
            table.append(String.format(
                    Locale.ROOT,
                    "| %d | %.3f | %.2f | %d/%d | %d/%d | %s | %s |%n",
                    budget,
                    auc,
                    tpr,
                    dBelow,
                    pd.size(),
                    iBelow,
                    pi.size(),
                    fmt(pd),
                    fmt(pi)));
        }
        results.put("train_rows", train.size());
        results.put("test_rows", test.size());
        results.put("epochs", epochs);
        results.put("references", referenceCount);
        results.put("training_seconds", trainSeconds);
        results.put("total_seconds", (System.nanoTime() - t0) / 1e9);
        results.put("table", table.toString());
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(out.resolve("results.json").toFile(), results);
        System.out.println(table);
        System.out.printf(Locale.ROOT, "training %.0f s, total %.0f s%n", trainSeconds, (System.nanoTime() - t0) / 1e9);
    }

    static String fmt(List<Double> ps) {
        return ps.stream()
                .map(p -> String.format(Locale.ROOT, "%.2g", p))
                .toList()
                .toString();
    }

    static AuditResult audit(Path teacher, Path suspect, List<Path> references, ExampleSet test, int budget, Path out)
            throws Exception {
        List<AuditedModel> open = new ArrayList<>();
        try {
            AuditedModel t = AuditedModels.open(teacher.toString(), ApiKey.none(), out);
            open.add(t);
            AuditedModel s = AuditedModels.open(suspect.toString(), ApiKey.none(), out);
            open.add(s);
            List<AuditedModel> refs = new ArrayList<>();
            for (Path r : references) {
                AuditedModel m = AuditedModels.open(r.toString(), ApiKey.none(), out);
                open.add(m);
                refs.add(m);
            }
            return DistillationAudit.builder()
                    .setTeacher(t)
                    .setSuspect(s)
                    .addReferences(refs)
                    .setData(test)
                    .optQueries(budget)
                    .build()
                    .run();
        } finally {
            open.forEach(AuditedModel::close);
        }
    }
}
