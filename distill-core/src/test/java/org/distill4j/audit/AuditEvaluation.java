package org.distill4j.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.data.JsonlTextDataset;
import org.distill4j.data.TextExampleSet;
import org.distill4j.data.TextFeatures;
import org.distill4j.model.BagSpec;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.train.Augmentation;
import org.distill4j.train.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The audit's evaluation (docs/audit.md, issue 12 item 4) on Fashion-MNIST and the Debian
 * descriptions: students distilled from a teacher T (cached and online soft targets, soft targets
 * only and with true labels, several architectures and seeds) against models that were not (from
 * scratch on the same data, T's architecture retrained with other seeds, students of another
 * teacher T2), at several query budgets, under four choices of references (docs/audit.md). Reports ROC AUC, the
 * true-positive rate at 1% false-positive rate, the rates at the verdict's alpha and every model's
 * p-value.
 *
 * <p>Runs only with {@code -Daudit.eval=true}; {@code tools/audit-eval.sh} gives the
 * configurations. Models are saved under {@code target/audit-eval/models/} and reused by a rerun
 * (delete the folder to retrain); results go to {@code target/audit-eval/results.json}.
 */
@EnabledIfSystemProperty(named = "audit.eval", matches = "true")
class AuditEvaluation {

    static final double ALPHA = 0.01;

    static int prop(String name, int def) {
        return Integer.getInteger("audit.eval." + name, def);
    }

    /** One model the audit is asked about: its role in the evaluation and where it is saved. */
    record Suspect(String name, String group, boolean distilled, Path dir, String arch) {}

    /** One data set's models and training settings. */
    record Setup(
            String name,
            ExampleSet train,
            ExampleSet probes,
            TextFeatures text,
            ModelSpec teacherSpec,
            TrainingConfig teacherConfig,
            List<ModelSpec> students,
            ModelSpec cnn,
            TrainingConfig studentConfig,
            TrainingConfig onlineConfig,
            String description) {}

    static final Path OUT = Path.of(System.getProperty("audit.eval.out", "target/audit-eval"));
    static PrintStream log;

    @Test
    void evaluate() throws Exception {
        Files.createDirectories(OUT);
        log = new PrintStream(
                Files.newOutputStream(
                        OUT.resolve("progress.log"), StandardOpenOption.CREATE, StandardOpenOption.APPEND),
                true,
                java.nio.charset.StandardCharsets.UTF_8);
        List<Integer> budgets = new ArrayList<>();
        for (String b : System.getProperty("audit.eval.budgets", "100,1000").split(",")) {
            budgets.add(Integer.parseInt(b.trim()));
        }
        long t0 = System.nanoTime();
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("date", Instant.now().toString());
        results.put("machine", machine());
        results.put("alpha", ALPHA);
        results.put("budgets", budgets);
        Map<String, Object> perData = new LinkedHashMap<>();
        for (String d :
                System.getProperty("audit.eval.datasets", "fashion,debian").split(",")) {
            Setup setup = switch (d.trim()) {
                case "fashion" -> fashion();
                case "debian" -> debian();
                default -> throw new IllegalArgumentException("illegal audit.eval.datasets entry: " + d);
            };
            perData.put(setup.name(), evaluate(setup, budgets));
            results.put("datasets", perData);
            results.put("total_seconds", (System.nanoTime() - t0) / 1e9);
            write(results);
        }
        say("total %.0f s", (System.nanoTime() - t0) / 1e9);
    }

    static void write(Map<String, Object> results) throws IOException {
        Path tmp = OUT.resolve("results.json.tmp");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), results);
        Files.move(tmp, OUT.resolve("results.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static String machine() {
        return System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version");
    }

    static void say(String format, Object... args) {
        String line = Instant.now().toString().substring(11, 19) + " " + String.format(Locale.ROOT, format, args);
        System.out.println(line);
        if (log != null) {
            log.println(line);
        }
    }

    static TrainingConfig config(int epochs, int batch, double lr, Augmentation augment) {
        return TrainingConfig.builder()
                .setEpochs(epochs)
                .optBatchSize(batch)
                .optLearningRate(lr)
                .optAugmentation(augment)
                .build();
    }

    static Setup fashion() throws IOException {
        Path data = Path.of(System.getProperty("audit.eval.fashion", "/usr/share/datasets/fashion-mnist"));
        IdxDataset idx = IdxDataset.load(data);
        int trainRows = Math.min(prop("fashion.train", 6000), idx.train().size());
        int testRows = Math.min(prop("fashion.test", 10000), idx.test().size());
        int epochs = prop("fashion.epochs", 8);
        TrainingConfig c = config(epochs, 64, 0.005, Augmentation.NONE);
        boolean cnn = Boolean.parseBoolean(System.getProperty("audit.eval.cnn", "true"));
        return new Setup(
                "fashion-mnist",
                ExampleSets.slice(idx.train(), 0, trainRows),
                ExampleSets.slice(idx.test(), 0, testRows),
                null,
                new MlpSpec(List.of(256), null, 0),
                c,
                List.of(new MlpSpec(List.of(64), null, 0), new MlpSpec(List.of(128), null, 0)),
                cnn ? new CnnSpec(List.of(8, 16), 3, 2, List.of(), null, 0, false) : null,
                c,
                // Online targets follow the student's batches: with shifted images the student learns
                // from the teacher's outputs on inputs a cached run never asks it about.
                config(epochs, 64, 0.005, new Augmentation(2, false)),
                "Fashion-MNIST (" + data + "): the first " + trainRows + " training rows; probes from the first "
                        + testRows + " test rows; " + epochs + " epochs each, Adam, batch 64, lr 0.005");
    }

    static Setup debian() throws IOException {
        Path dir = Path.of(System.getProperty("audit.eval.debian", "../../shared/data/debian-descriptions"));
        if (!Files.isDirectory(dir)) {
            dir = Path.of("../shared/data/debian-descriptions");
        }
        TextFeatures text = TextFeatures.defaults();
        JsonlTextDataset ds = JsonlTextDataset.load(dir, JsonlTextDataset.Fields.defaults(), text);
        int trainRows = Math.min(prop("debian.train", 20000), ds.train().size());
        int epochs = prop("debian.epochs", 4);
        // Probes: the validation and the test split together (12,756 descriptions; the 10,000-query
        // budget needs 7,500 rows), neither of which any model here was trained on.
        TextExampleSet v = ds.validation();
        TextExampleSet t = ds.test();
        List<String> texts = new ArrayList<>();
        int[] labels = new int[v.size() + t.size()];
        for (int i = 0; i < v.size(); i++) {
            texts.add(v.text(i));
            labels[i] = v.label(i);
        }
        for (int i = 0; i < t.size(); i++) {
            texts.add(t.text(i));
            labels[v.size() + i] = t.label(i);
        }
        TextExampleSet probes = new TextExampleSet("debian/validation+test", texts, null, labels, t.classNames(), text);
        TrainingConfig c = config(epochs, 256, 0.01, Augmentation.NONE);
        return new Setup(
                "debian-descriptions",
                ExampleSets.slice(ds.train(), 0, trainRows),
                probes,
                text,
                BagSpec.of(32768, 32, List.of(64), null, 0.0),
                config(epochs, 256, 0.005, Augmentation.NONE),
                List.of(BagSpec.of(8192, 16, List.of(), null, 0.0), BagSpec.of(16384, 16, List.of(32), null, 0.0)),
                null,
                c,
                c,
                "Debian descriptions (" + dir + ", 58 sections): the first " + trainRows
                        + " training descriptions, features " + text + "; probes from validation + test ("
                        + probes.size() + " rows); " + epochs
                        + " epochs each, Adam, batch 256, lr 0.01 (teacher 0.005)");
    }

    static Map<String, Object> evaluate(Setup s, List<Integer> budgets) throws Exception {
        long t0 = System.nanoTime();
        Path models = OUT.resolve("models").resolve(s.name());
        say("%s: training (%s)", s.name(), s.description());
        ModelSpec tArch = s.teacherSpec();
        ModelSpec a0 = s.students().get(0);
        ModelSpec a1 = s.students().get(1);
        Path teacher = AuditModels.scratch(tArch, s.teacherConfig(), 1, s.train(), s.text(), models.resolve("teacher"));
        Path teacher2 =
                AuditModels.scratch(tArch, s.teacherConfig(), 2, s.train(), s.text(), models.resolve("teacher-2"));
        List<Suspect> suspects = new ArrayList<>();
        // Positives: distilled from T.
        long seed = 100;
        List<Object[]> positives = new ArrayList<>();
        for (ModelSpec a : List.of(a0, a1)) {
            for (boolean online : new boolean[] {false, true}) {
                for (double alpha : new double[] {1.0, 0.7}) {
                    positives.add(new Object[] {a, online, alpha});
                }
            }
        }
        positives.add(new Object[] {a0, false, 1.0});
        positives.add(new Object[] {a1, true, 0.7});
        if (s.cnn() != null) {
            positives.add(new Object[] {s.cnn(), false, 1.0});
            positives.add(new Object[] {s.cnn(), true, 0.7});
        }
        for (Object[] p : positives) {
            suspects.add(
                    distil(s, teacher, "T", (ModelSpec) p[0], (boolean) p[1], (double) p[2], ++seed, models, true));
        }
        // Negatives: from scratch, T's architecture with other seeds, students of another teacher.
        seed = 200;
        for (int i = 0; i < 4; i++) {
            for (ModelSpec a : List.of(a0, a1)) {
                suspects.add(scratch(s, a, "scratch", ++seed, models));
            }
        }
        if (s.cnn() != null) {
            for (int i = 0; i < 2; i++) {
                suspects.add(scratch(s, s.cnn(), "scratch", ++seed, models));
            }
        }
        for (int i = 0; i < 6; i++) {
            suspects.add(scratch(s, tArch, "teacher-arch", ++seed, models));
        }
        // More negatives from scratch per student architecture (-Daudit.eval.scratch=N; by default
        // 4 per MLP and 2 CNNs, the roster above): to compare honest models with null models in bulk.
        int scratchPerArch = Integer.getInteger("audit.eval.scratch", 0);
        long extraSeed = 600;
        for (ModelSpec a : s.cnn() != null ? List.of(a0, a1, s.cnn()) : List.of(a0, a1)) {
            for (int i = a == s.cnn() ? 2 : 4; i < scratchPerArch; i++) {
                suspects.add(scratch(s, a, "scratch", ++extraSeed, models));
            }
        }
        seed = 300;
        List<Object[]> others = new ArrayList<>(List.of(
                new Object[] {a0, false, 1.0},
                new Object[] {a0, true, 0.7},
                new Object[] {a1, false, 0.7},
                new Object[] {a1, true, 1.0},
                new Object[] {tArch, false, 1.0},
                new Object[] {tArch, true, 0.7}));
        if (s.cnn() != null) {
            others.add(new Object[] {s.cnn(), false, 1.0});
        }
        for (Object[] p : others) {
            suspects.add(
                    distil(s, teacher2, "T2", (ModelSpec) p[0], (boolean) p[1], (double) p[2], ++seed, models, false));
        }
        // References: independent, from scratch, seeds of their own.
        seed = 400;
        List<Path> mixed = new ArrayList<>();
        List<Path> teacherArch = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            mixed.add(scratch(s, a0, "ref", ++seed, models).dir());
            mixed.add(scratch(s, a1, "ref", ++seed, models).dir());
        }
        if (s.cnn() != null) {
            for (int i = 0; i < 2; i++) {
                mixed.add(scratch(s, s.cnn(), "ref", ++seed, models).dir());
            }
        }
        for (int i = 0; i < 8; i++) {
            Path p = scratch(s, tArch, "ref", ++seed, models).dir();
            teacherArch.add(p);
            if (i < 2) {
                mixed.add(p);
            }
        }
        // Six references of each suspect's own architecture (and recipe): three of the mixed set's and
        // three more per student architecture, two more CNNs, six of the teacher's architecture.
        Map<String, List<Path>> byArch = new LinkedHashMap<>();
        seed = 430;
        List<ModelSpec> archs = new ArrayList<>(List.of(a0, a1));
        if (s.cnn() != null) {
            archs.add(s.cnn());
        }
        for (Path p : mixed) {
            String name = p.getFileName().toString();
            for (ModelSpec a : archs) {
                if (name.startsWith("ref-" + tag(a) + "-")) {
                    byArch.computeIfAbsent(tag(a), k -> new ArrayList<>()).add(p);
                }
            }
        }
        for (ModelSpec a : archs) {
            List<Path> list = byArch.computeIfAbsent(tag(a), k -> new ArrayList<>());
            while (list.size() < 6) {
                list.add(scratch(s, a, "ref", ++seed, models).dir());
            }
        }
        byArch.put(tag(tArch), teacherArch.subList(0, 6));
        // Null models for the teacher-consensus test: of each suspect's architecture, never also a
        // reference; the teacher's architecture needs six of its own.
        Map<String, List<Path>> nullByArch = new LinkedHashMap<>(byArch);
        if (wanted().contains("teacher-consensus")) {
            seed = 450;
            List<Path> tNull = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                tNull.add(scratch(s, tArch, "null", ++seed, models).dir());
            }
            nullByArch.put(tag(tArch), tNull);
            // More null models per architecture (-Daudit.eval.nulls=K, 6 by default): the first six
            // stay the ones above, so a run with K > 6 extends the recorded null sets, never redraws them.
            int perArch = Integer.getInteger("audit.eval.nulls", 6);
            seed = 480;
            for (var e : nullByArch.entrySet()) {
                ModelSpec a = tag(tArch).equals(e.getKey())
                        ? tArch
                        : archs.stream()
                                .filter(x -> tag(x).equals(e.getKey()))
                                .findFirst()
                                .orElseThrow();
                List<Path> list = new ArrayList<>(
                        e.getValue().subList(0, Math.min(perArch, e.getValue().size())));
                while (list.size() < perArch) {
                    list.add(scratch(s, a, "null", ++seed, models).dir());
                }
                e.setValue(list);
            }
        }
        double trainSeconds = (System.nanoTime() - t0) / 1e9;
        say(
                "%s: %d suspects and %d references trained or reused in %.0f s",
                s.name(), suspects.size(), mixed.size() + teacherArch.size() - 2, trainSeconds);

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("setup", s.description());
        out.put("teacher", describe(tArch) + ", seed 1");
        out.put("other_teacher", describe(tArch) + ", seed 2");
        List<Map<String, Object>> roster = new ArrayList<>();
        for (Suspect x : suspects) {
            roster.add(Map.of("name", x.name(), "group", x.group(), "distilled", x.distilled()));
        }
        out.put("suspects", roster);
        out.put("training_seconds", trainSeconds);
        Map<String, Object> configs = new LinkedHashMap<>();
        Map<String, java.util.function.Function<Suspect, List<Path>>> refSets = new LinkedHashMap<>();
        refSets.put("mixed", x -> mixed);
        refSets.put("teacher-arch", x -> teacherArch);
        refSets.put("suspect-arch", x -> byArch.get(x.arch()));
        refSets.put("teacher-consensus", x -> teacherArch);
        for (var e : refSets.entrySet()) {
            if (!wanted().contains(e.getKey())) {
                continue;
            }
            long t1 = System.nanoTime();
            java.util.function.Function<Suspect, List<Path>> nulls =
                    e.getKey().equals("teacher-consensus") ? x -> nullByArch.get(x.arch()) : null;
            Map<String, Object> result = audits(s, teacher, e.getValue(), nulls, suspects, budgets);
            if (nulls != null) {
                Map<String, Object> names = new LinkedHashMap<>();
                nullByArch.forEach((k, v) -> names.put(
                        k, v.stream().map(p -> p.getFileName().toString()).toList()));
                result.put("null_models", names);
            }
            if (e.getKey().equals("suspect-arch")) {
                Map<String, Object> names = new LinkedHashMap<>();
                byArch.forEach((k, v) -> names.put(
                        k, v.stream().map(p -> p.getFileName().toString()).toList()));
                result.put("models", names);
            }
            configs.put(e.getKey(), result);
            say("%s: references %s audited in %.0f s", s.name(), e.getKey(), (System.nanoTime() - t1) / 1e9);
        }
        out.put("references", configs);
        out.put("seconds", (System.nanoTime() - t0) / 1e9);
        return out;
    }

    static List<String> wanted() {
        return List.of(System.getProperty("audit.eval.refsets", "mixed,teacher-arch,suspect-arch,teacher-consensus")
                .split(","));
    }

    static String describe(ModelSpec spec) {
        return spec.describe();
    }

    static String tag(ModelSpec a) {
        if (a instanceof MlpSpec m) {
            return "mlp"
                    + m.hidden().stream()
                            .map(String::valueOf)
                            .reduce((x, y) -> x + "x" + y)
                            .orElse("0");
        }
        if (a instanceof BagSpec b) {
            return "bag" + b.buckets() + "d" + b.dim()
                    + (b.hidden().isEmpty() ? "" : "h" + b.hidden().get(0));
        }
        return "cnn";
    }

    static Suspect scratch(Setup s, ModelSpec a, String group, long seed, Path models) throws Exception {
        String name = group + "-" + tag(a) + "-s" + seed;
        long t0 = System.nanoTime();
        boolean had = AuditModels.saved(models.resolve(name));
        // The teacher's architecture is retrained with the teacher's own recipe: a model of its
        // architecture trained otherwise differs from it by more than its seed, and that difference
        // is one other independent models can share (docs/audit.md, "Evaluation").
        TrainingConfig config = a.equals(s.teacherSpec()) ? s.teacherConfig() : s.studentConfig();
        Path dir = AuditModels.scratch(a, config, seed, s.train(), s.text(), models.resolve(name));
        if (!had) {
            say("  %s %.1f s", name, (System.nanoTime() - t0) / 1e9);
        }
        return new Suspect(name, group, false, dir, tag(a));
    }

    static Suspect distil(
            Setup s,
            Path teacher,
            String from,
            ModelSpec a,
            boolean online,
            double alpha,
            long seed,
            Path models,
            boolean positive)
            throws Exception {
        String mode = online ? "online" : "cached";
        String name = "from" + from + "-" + tag(a) + "-" + mode + "-a" + alpha + "-s" + seed;
        long t0 = System.nanoTime();
        boolean had = AuditModels.saved(models.resolve(name));
        Path dir = AuditModels.distilled(
                teacher,
                a,
                online ? s.onlineConfig() : s.studentConfig(),
                seed,
                alpha,
                online,
                s.train(),
                s.text(),
                models.resolve(name));
        if (!had) {
            say("  %s %.1f s", name, (System.nanoTime() - t0) / 1e9);
        }
        return new Suspect(name, positive ? "distilled-" + mode : "other-teacher", positive, dir, tag(a));
    }

    /** Audits every suspect at every budget against one reference set; teacher and references are opened once. */
    static Map<String, Object> audits(
            Setup s,
            Path teacherDir,
            java.util.function.Function<Suspect, List<Path>> refsFor,
            java.util.function.Function<Suspect, List<Path>> nullsFor,
            List<Suspect> suspects,
            List<Integer> budgets)
            throws Exception {
        Path work = OUT.resolve("work");
        List<AuditedModel> open = new ArrayList<>();
        Map<Path, AuditedModel> opened = new HashMap<>();
        Map<String, Object> out = new LinkedHashMap<>();
        List<Path> first = refsFor.apply(suspects.get(0));
        out.put("models", first.stream().map(p -> p.getFileName().toString()).toList());
        try {
            AuditedModel teacher = new Memo(AuditedModels.open(teacherDir.toString(), ApiKey.none(), work));
            open.add(teacher);
            Map<Integer, List<Map<String, Object>>> rows = new LinkedHashMap<>();
            Map<Integer, List<Double>> refScores = new LinkedHashMap<>();
            for (Suspect x : suspects) {
                List<AuditedModel> refs = new ArrayList<>();
                for (Path r : refsFor.apply(x)) {
                    AuditedModel m = opened.get(r);
                    if (m == null) {
                        m = new Memo(AuditedModels.open(r.toString(), ApiKey.none(), work));
                        open.add(m);
                        opened.put(r, m);
                    }
                    refs.add(m);
                }
                List<AuditedModel> nulls = new ArrayList<>();
                for (Path r : nullsFor == null ? List.<Path>of() : nullsFor.apply(x)) {
                    AuditedModel m = opened.get(r);
                    if (m == null) {
                        m = new Memo(AuditedModels.open(r.toString(), ApiKey.none(), work));
                        open.add(m);
                        opened.put(r, m);
                    }
                    nulls.add(m);
                }
                try (AuditedModel suspect = AuditedModels.open(x.dir().toString(), ApiKey.none(), work)) {
                    for (int budget : budgets) {
                        AuditResult r = DistillationAudit.builder()
                                .setTeacher(teacher)
                                .setSuspect(suspect)
                                .addReferences(refs)
                                .addNullModels(nulls)
                                .setData(s.probes())
                                .optQueries(budget)
                                .optAlpha(ALPHA)
                                .build()
                                .run();
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("name", x.name());
                        row.put("group", x.group());
                        row.put("distilled", x.distilled());
                        row.put("p", r.pValue());
                        row.put("t", r.statistic());
                        row.put("score", r.suspectScore());
                        row.put("effect", r.effectSize());
                        row.put("rank_p", r.rankPValue());
                        row.put("agreement", r.suspectAgreement());
                        row.put("reference_scores", r.referenceScores());
                        if (!r.nullScores().isEmpty()) {
                            row.put("null_scores", r.nullScores());
                        }
                        rows.computeIfAbsent(budget, k -> new ArrayList<>()).add(row);
                        refScores.put(budget, r.referenceScores());
                    }
                }
            }
            Map<String, Object> perBudget = new LinkedHashMap<>();
            for (int budget : budgets) {
                Map<String, Object> m = summarize(rows.get(budget));
                m.put("reference_scores", refScores.get(budget));
                m.put("suspects", rows.get(budget));
                perBudget.put(String.valueOf(budget), m);
                say(
                        "  %s %d refs, queries=%d: AUC %.3f TPR@1%%FPR %.2f TPR@p<0.01 %.2f FPR@p<0.01 %.2f (%s)",
                        s.name(),
                        refsFor.apply(suspects.get(0)).size(),
                        budget,
                        m.get("auc"),
                        m.get("tpr_at_1pct_fpr"),
                        m.get("tpr_at_alpha"),
                        m.get("fpr_at_alpha"),
                        m.get("negatives_below"));
            }
            out.put("budgets", perBudget);
        } finally {
            open.forEach(AuditedModel::close);
        }
        return out;
    }

    /**
     * ROC AUC over the t statistic (monotone in the p-value for one reference set, and free of the
     * ties that p-values rounded to 0 would make), the TPR at FPR at most 1% (with fewer than 100
     * negatives: no false positive at all, i.e. positives scored above every negative), and the
     * rates of the verdict at alpha.
     */
    static Map<String, Object> summarize(List<Map<String, Object>> rows) {
        List<Double> pos = new ArrayList<>();
        List<Double> neg = new ArrayList<>();
        List<Double> posP = new ArrayList<>();
        List<Double> negP = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            boolean d = (boolean) r.get("distilled");
            (d ? pos : neg).add((double) r.get("t"));
            (d ? posP : negP).add((double) r.get("p"));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("positives", pos.size());
        m.put("negatives", neg.size());
        m.put("auc", auc(pos, neg));
        m.put("tpr_at_1pct_fpr", tprAtFpr(pos, neg, 0.01));
        m.put("tpr_at_alpha", posP.stream().filter(p -> p < ALPHA).count() / (double) pos.size());
        m.put("fpr_at_alpha", negP.stream().filter(p -> p < ALPHA).count() / (double) neg.size());
        Map<String, Long> below = new LinkedHashMap<>();
        for (double a : new double[] {0.01, 0.05, 0.1, 0.5}) {
            below.put(String.valueOf(a), negP.stream().filter(p -> p < a).count());
        }
        m.put("negatives_below", below);
        return m;
    }

    static double auc(List<Double> pos, List<Double> neg) {
        double sum = 0;
        for (double a : pos) {
            for (double b : neg) {
                sum += a > b ? 1 : a == b ? 0.5 : 0;
            }
        }
        return sum / (pos.size() * (double) neg.size());
    }

    /** The largest TPR over thresholds whose FPR is at most {@code fpr}; a positive counts when strictly above. */
    static double tprAtFpr(List<Double> pos, List<Double> neg, double fpr) {
        double[] n = neg.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int allowed = (int) Math.floor(fpr * n.length);
        // Threshold: the (allowed+1)-th largest negative; positives strictly above it are detected,
        // and at most `allowed` negatives are.
        double threshold = n[n.length - 1 - allowed];
        return pos.stream().filter(v -> v > threshold).count() / (double) pos.size();
    }

    /**
     * Memoizes a local model's outputs per probe set (by content): the teacher and references are
     * asked about the same candidates for every suspect at one budget and seed.
     */
    static final class Memo implements AuditedModel {
        private final AuditedModel inner;
        private final Map<Long, float[][]> cache = new HashMap<>();

        Memo(AuditedModel inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public List<String> classNames() {
            return inner.classNames();
        }

        @Override
        public long[] featureShape() {
            return inner.featureShape();
        }

        @Override
        public TextFeatures textFeatures() {
            return inner.textFeatures();
        }

        @Override
        public float[][] logProbabilities(ExampleSet probes) throws IOException {
            int[] rows = new int[probes.size()];
            Arrays.setAll(rows, i -> i);
            float[] x = new float[rows.length * probes.featureSize()];
            probes.copyFeatures(rows, x);
            long key = 31L * Arrays.hashCode(x) + rows.length;
            float[][] hit = cache.get(key);
            if (hit == null) {
                hit = inner.logProbabilities(probes);
                cache.put(key, hit);
            }
            return hit;
        }

        @Override
        public long queries() {
            return inner.queries();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
