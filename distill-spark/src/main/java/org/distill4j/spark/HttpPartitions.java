package org.distill4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.experiment.ExperimentListener;
import org.distill4j.experiment.RemoteTeacher;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.http.CollectionResult;
import org.distill4j.teacher.http.HttpTeacherConfig;
import org.distill4j.teacher.http.LabelCollector;
import org.distill4j.teacher.http.UsageReport;

/**
 * An HTTP teacher on Spark. The driver buckets the rows by their item key ({@link
 * LabelCollector#itemKey}, the hash of the exact payload), so rows that share a payload land in
 * one bucket and each item is asked once in the whole job. Each bucket (one partition) is
 * collected by the single-machine {@link LabelCollector} into its own journal directory on the
 * shared filesystem, {@code JOURNALS/bucket-<i>-of-<n>/}, so a retried task or a rerun job (same
 * bucket count) finds every completed item there and asks nothing twice; retries, {@code
 * Retry-After} and de-duplication are the collector's. The recipe's rate limits are global: each task gets {@code 1/k} of them (and of
 * the concurrency), {@code k} being the number of tasks that can run at once. The API key is read
 * on the executor from the recipe's {@code api_key_env}/{@code api_key_file}: the function holds
 * only paths and numbers, never the key.
 */
final class HttpPartitions implements FlatMapFunction<Iterator<HttpPartitions.Bucket>, Row>, Serializable {

    /**
     * The rows of one bucket.
     *
     * @param index the bucket, in [0, of)
     * @param of the number of buckets
     * @param rows row indices of the split, ascending
     */
    record Bucket(int index, int of, int[] rows) implements Serializable {}

    /** Plans {@code buckets} buckets of the split's rows by item key (driver side). */
    static List<Bucket> plan(HttpTeacherConfig config, ExampleSet rows, int buckets) {
        List<List<Integer>> members = new ArrayList<>();
        for (int b = 0; b < buckets; b++) {
            members.add(new ArrayList<>());
        }
        for (int i = 0; i < rows.size(); i++) {
            String key = LabelCollector.itemKey(config, rows, i);
            int b = (int) Long.remainderUnsigned(Long.parseUnsignedLong(key.substring(0, 15), 16), buckets);
            members.get(b).add(i);
        }
        List<Bucket> plan = new ArrayList<>();
        for (int b = 0; b < buckets; b++) {
            plan.add(new Bucket(
                    b,
                    buckets,
                    members.get(b).stream().mapToInt(Integer::intValue).toArray()));
        }
        return plan;
    }

    private static final long serialVersionUID = 1L;
    private final String recipeFile;
    private final List<String> overrides;
    private final String split;
    private final String journals;
    private final int concurrentTasks;

    HttpPartitions(Path recipeFile, List<String> overrides, String split, Path journals, int concurrentTasks) {
        this.recipeFile = recipeFile.toAbsolutePath().toString();
        this.overrides = List.copyOf(overrides);
        this.split = split;
        this.journals = journals.toAbsolutePath().toString();
        this.concurrentTasks = concurrentTasks;
    }

    /** The journal directory of a bucket: stable across task attempts and job reruns. */
    static Path journalDir(Path journals, int bucket, int of) {
        return journals.resolve(String.format(Locale.ROOT, "bucket-%05d-of-%05d", bucket, of));
    }

    /** The recipe's collector configuration with this task's share of the global limits (key read here). */
    static HttpTeacherConfig share(Recipe recipe, int concurrentTasks) throws IOException {
        HttpTeacherConfig c = RemoteTeacher.of(
                        recipe.teacher().http(),
                        recipe.data().format().equals("jsonl"),
                        Path.of("."),
                        ExperimentListener.NONE)
                .config();
        int k = Math.max(1, concurrentTasks);
        return c.toBuilder()
                .optRateLimits(c.requestsPerMinute() / k, c.tokensPerMinute() / k)
                .optConcurrency(Math.max(1, c.concurrency() / k))
                .build();
    }

    @Override
    public Iterator<Row> call(Iterator<Bucket> buckets) throws Exception {
        Recipe recipe = RecipeRows.load(Path.of(recipeFile), overrides);
        ExampleSet rows = RecipeRows.of(Path.of(recipeFile), overrides, split);
        HttpTeacherConfig config = share(recipe, concurrentTasks);
        LabelCollector collector = new LabelCollector(config);
        List<Row> out = new ArrayList<>();
        while (buckets.hasNext()) {
            Bucket b = buckets.next();
            if (b.rows().length == 0) {
                continue;
            }
            CollectionResult r = collector.collect(
                    ExampleSets.subset(rows, b.rows(), rows.name() + "/bucket-" + b.index() + "-of-" + b.of()),
                    journalDir(Path.of(journals), b.index(), b.of()),
                    (total, done, failed) -> {});
            int classes = r.outputs().classes();
            String teacher = r.teacher().cacheKey();
            String version = config.modelVersion() == null ? "" : config.modelVersion();
            for (int i = 0; i < r.succeededRows().length; i++) {
                float[] values = new float[classes];
                System.arraycopy(r.outputs().logits(), i * classes, values, 0, classes);
                out.add(RowFactory.create((long) b.rows()[r.succeededRows()[i]], values, teacher, version));
            }
        }
        return out.iterator();
    }

    /**
     * Sums the usage reports of the planned partitions (each written by its collector next to
     * its journal): counts and tokens add up; wall seconds are the longest partition's.
     */
    static Map<String, Object> sumUsage(Path journals, List<Bucket> plan) throws IOException {
        List<Path> dirs = new ArrayList<>();
        for (Bucket b : plan) {
            if (b.rows().length > 0) {
                Path dir = journalDir(journals, b.index(), b.of());
                if (!Files.isRegularFile(dir.resolve(UsageReport.FILE))) {
                    throw new IOException("bucket " + b.index() + " left no " + UsageReport.FILE + " in " + dir);
                }
                dirs.add(dir);
            }
        }
        return sum(dirs);
    }

    /**
     * Sums the usage reports of {@code buckets} buckets planned on the executors (Parquet inputs):
     * a bucket without a report received no rows.
     */
    static Map<String, Object> sumUsage(Path journals, int buckets) throws IOException {
        List<Path> dirs = new ArrayList<>();
        for (int b = 0; b < buckets; b++) {
            Path dir = journalDir(journals, b, buckets);
            if (Files.isRegularFile(dir.resolve(UsageReport.FILE))) {
                dirs.add(dir);
            }
        }
        return sum(dirs);
    }

    private static Map<String, Object> sum(List<Path> dirs) throws IOException {
        long requests = 0;
        long retries = 0;
        long prompt = 0;
        long completion = 0;
        long collected = 0;
        long fromJournal = 0;
        long failed = 0;
        long unique = 0;
        double wall = 0;
        Map<String, Long> errors = new TreeMap<>();
        for (Path dir : dirs) {
            UsageReport u = UsageReport.read(dir);
            requests += u.requestsSent();
            retries += u.retries();
            prompt += u.promptTokens();
            completion += u.completionTokens();
            collected += u.itemsCollected();
            fromJournal += u.itemsFromJournal();
            failed += u.itemsFailed();
            unique += u.itemsUnique();
            wall = Math.max(wall, u.wallSeconds());
            u.errorsByKind().forEach((k, v) -> errors.merge(k, v, Long::sum));
        }
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("requests_sent", requests);
        m.put("retries", retries);
        m.put("errors_by_kind", errors);
        m.put("prompt_tokens", prompt);
        m.put("completion_tokens", completion);
        m.put("items_unique", unique);
        m.put("items_from_journal", fromJournal);
        m.put("items_collected", collected);
        m.put("items_failed", failed);
        m.put("longest_partition_seconds", wall);
        return m;
    }
}
