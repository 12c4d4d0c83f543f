package org.distill4j.experiment;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.eval.ModelMetrics;
import org.distill4j.eval.Predictions;
import org.distill4j.io.Hashing;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.CollectedItem;
import org.distill4j.teacher.http.CollectionJournal;
import org.distill4j.teacher.http.CollectionListener;
import org.distill4j.teacher.http.CollectionResult;
import org.distill4j.teacher.http.HttpTeacherConfig;
import org.distill4j.teacher.http.LabelCollector;
import org.distill4j.teacher.http.Protocol;
import org.distill4j.teacher.http.RetryPolicy;
import org.distill4j.train.SoftTargets;

/**
 * A recipe's teacher behind an HTTP API ({@code teacher.source: http}): its outputs on a split are
 * collected once into {@code OUT/teacher_outputs/<split>/} (the append-only journal and {@code
 * usage.json}) and a rerun resumes there, asking nothing twice.
 *
 * <p>Which rows the teacher answered, and what each answer cost, is summarised for the
 * provenance manifest by {@link #provenance}; the journal itself records, per item, the endpoint,
 * model and model version that answered it.
 */
public final class RemoteTeacher implements ExperimentTeacher {

    /** Directory, under the experiment's output, of the per-split journals. */
    public static final String OUTPUTS_DIR = "teacher_outputs";

    private final LabelCollector collector;
    private final Path out;
    private final boolean evaluateTest;
    private final ExperimentListener listener;
    private final Map<String, CollectionResult> collected = new LinkedHashMap<>();

    private RemoteTeacher(LabelCollector collector, Path out, boolean evaluateTest, ExperimentListener listener) {
        this.collector = collector;
        this.out = out;
        this.evaluateTest = evaluateTest;
        this.listener = listener;
    }

    /**
     * Creates the teacher a recipe section declares.
     *
     * @param http the recipe's {@code teacher.http}
     * @param textData whether the experiment's rows are texts (then v2 sends text by default)
     * @param out the experiment's output directory
     * @param listener told what is collected and what failed
     * @throws IllegalArgumentException naming the {@code teacher.http} key whose value is invalid
     * @throws IOException if the API key file cannot be read
     */
    public static RemoteTeacher of(Recipe.HttpSection http, boolean textData, Path out, ExperimentListener listener)
            throws IOException {
        return new RemoteTeacher(new LabelCollector(config(http, textData)), out, http.evaluateTest(), listener);
    }

    /** Recipe keys of the collector's settings, so its messages name what the user wrote. */
    private static final Map<String, String> RECIPE_KEYS = Map.ofEntries(
            Map.entry("baseUrl", "url"), Map.entry("modelVersion", "version"),
            Map.entry("v2InputName", "input_name"), Map.entry("v2OutputName", "output_name"),
            Map.entry("promptTemplate", "prompt_template"), Map.entry("topLogprobs", "top_logprobs"),
            Map.entry("maxTokens", "max_tokens"), Map.entry("batchSize", "batch_size"),
            Map.entry("requestsPerMinute", "requests_per_minute"), Map.entry("tokensPerMinute", "tokens_per_minute"),
            Map.entry("timeout", "timeout_seconds"), Map.entry("maxAttempts", "max_attempts"));

    /** Maps the recipe section to the collector's configuration; absent keys keep its defaults. */
    static HttpTeacherConfig config(Recipe.HttpSection h, boolean textData) throws IOException {
        try {
            ApiKey key = h.apiKeyEnv() != null
                    ? ApiKey.fromEnv(h.apiKeyEnv())
                    : h.apiKeyFile() != null ? ApiKey.fromFile(h.apiKeyFile()) : ApiKey.none();
            HttpTeacherConfig.Builder b = HttpTeacherConfig.builder(Protocol.parse(h.protocol()), h.url(), h.model())
                    .optApiKey(key);
            if (h.batchSize() != null) {
                b.optBatchSize(h.batchSize());
            }
            if (h.concurrency() != null) {
                b.optConcurrency(h.concurrency());
            }
            if (h.requestsPerMinute() != null || h.tokensPerMinute() != null) {
                b.optRateLimits(
                        h.requestsPerMinute() == null ? 0 : h.requestsPerMinute(),
                        h.tokensPerMinute() == null ? 0 : h.tokensPerMinute());
            }
            if (h.timeoutSeconds() != null) {
                b.optTimeout(Duration.ofMillis(Math.round(h.timeoutSeconds() * 1000)));
            }
            if (h.maxAttempts() != null) {
                RetryPolicy d = RetryPolicy.DEFAULT;
                b.optRetry(
                        new RetryPolicy(h.maxAttempts(), d.backoffBase(), d.backoffCap(), d.retryAfterCap(), d.seed()));
            }
            if (h.version() != null) {
                b.optModelVersion(h.version());
            }
            if (h.protocol().equals("v2")) {
                boolean text = h.input() == null ? textData : h.input().equals("text");
                b.optV2Input(text ? HttpTeacherConfig.V2Input.TEXT : HttpTeacherConfig.V2Input.FEATURES, h.inputName());
                b.optV2Output(
                        h.output().equals("probabilities")
                                ? HttpTeacherConfig.V2Output.PROBABILITIES
                                : HttpTeacherConfig.V2Output.LOGITS,
                        h.outputName());
            } else {
                if (h.promptTemplate() != null) {
                    b.optPromptTemplate(h.promptTemplate());
                }
                if (h.topLogprobs() != null) {
                    b.optTopLogprobs(h.topLogprobs());
                }
                if (h.maxTokens() != null) {
                    b.optMaxTokens(h.maxTokens());
                }
                if (h.labels() != null) {
                    b.optLabelSource(
                            HttpTeacherConfig.LabelSource.parse(h.labels()), h.samples() == null ? 8 : h.samples());
                }
                if (h.onMissingLogprobs() != null) {
                    b.optOnMissingLogprobs(HttpTeacherConfig.MissingLogprobs.parse(h.onMissingLogprobs()));
                }
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            for (Map.Entry<String, String> k : RECIPE_KEYS.entrySet()) {
                message = message.replace("illegal " + k.getKey() + " value", "illegal " + k.getValue() + " value");
            }
            throw new IllegalArgumentException("teacher.http: " + message, e);
        } catch (IOException e) {
            throw new IOException("teacher.http: " + e.getMessage(), e);
        }
    }

    /** Returns the teacher's identity on {@code data}'s label set (its output-cache key). */
    @Override
    public TeacherIdentity identity(ExampleSet data) {
        return collector.identity(data);
    }

    /** Returns the collector's configuration. */
    public HttpTeacherConfig config() {
        return collector.config();
    }

    /** Returns the journal directory of a split. */
    public Path journalDir(String split) {
        return out.resolve(OUTPUTS_DIR).resolve(split);
    }

    /**
     * Collects (or resumes collecting) the teacher's outputs on every row of {@code data}.
     *
     * @param split the split's name, e.g. {@code train}: its journal directory
     * @param data the rows
     * @param listener progress
     * @return the answered rows' outputs and the failed rows
     */
    public CollectionResult collect(String split, ExampleSet data, CollectionListener listener) throws IOException {
        CollectionResult r = collector.collect(data, journalDir(split), listener);
        collected.put(split, r);
        var u = r.usage();
        this.listener.info(String.format(
                java.util.Locale.ROOT,
                "teacher API on %s: %d of %d rows answered (%d unique items: %d from the journal, %d collected now), "
                        + "%d requests, %d retries, %.1f s; journal %s",
                split,
                r.succeededRows().length,
                data.size(),
                u.itemsUnique(),
                u.itemsFromJournal(),
                u.itemsCollected(),
                u.requestsSent(),
                u.retries(),
                u.wallSeconds(),
                journalDir(split).resolve(CollectionJournal.FILE)));
        return r;
    }

    /** Collects on the training rows (once per instance) and keeps the rows the teacher answered. */
    @Override
    public ExampleSet distillationRows(ExampleSet train) throws IOException {
        CollectionResult r = collectedOn("train", train);
        if (r.complete()) {
            return train;
        }
        listener.info(String.format(
                java.util.Locale.ROOT,
                "teacher API: %d of %d training rows failed for good (%s); the student learns from the %d answered "
                        + "(rerun to retry the failed ones: completed items are never asked again)",
                r.failedRows().size(),
                train.size(),
                failedKinds(r),
                r.succeededRows().length));
        return ExampleSets.subset(train, r.succeededRows(), train.name() + "/answered");
    }

    @Override
    public SoftTargets softTargets(ExampleSet rows, NDManager manager) {
        CollectionResult r = collected.get("train");
        if (r == null || r.outputs().rows() != rows.size()) {
            throw new IllegalStateException(
                    "soft targets asked for " + rows.size() + " rows before distillationRows() collected them");
        }
        return SoftTargets.cached(r.outputs());
    }

    /**
     * Collects on the test rows unless {@code evaluate_test} is false (then null).
     *
     * @throws IOException if some test rows failed for good: a teacher's accuracy on part of the
     *     test set would not be comparable with the students'
     */
    @Override
    public Predictions testPredictions(ExampleSet test, NDManager manager) throws IOException {
        if (!evaluateTest) {
            return null;
        }
        return complete("test", test, "set teacher.http.evaluate_test: false");
    }

    @Override
    public Predictions validationPredictions(ExampleSet validation, NDManager manager) throws IOException {
        return complete("validation", validation, "set distillation.calibrate_teacher: false");
    }

    /**
     * The teacher's logits on every row of a held-out split, collected (resumably) under its name.
     *
     * @param instead what the user can do instead of retrying, for the message
     * @throws IOException if some rows failed for good: a partial split is not the split
     */
    private Predictions complete(String split, ExampleSet rows, String instead) throws IOException {
        CollectionResult r = collectedOn(split, rows);
        if (!r.complete()) {
            throw new IOException(String.format(
                    java.util.Locale.ROOT,
                    "teacher API: %d of %d %s rows failed for good (%s, journal %s); rerun to retry them "
                            + "(completed items are never asked again) or %s",
                    r.failedRows().size(),
                    rows.size(),
                    split,
                    failedKinds(r),
                    journalDir(split),
                    instead));
        }
        return Predictions.ofLogits(
                r.outputs().rows(), r.outputs().classes(), r.outputs().logits());
    }

    /** Accuracy and macro-F1 on the test rows; size and serving cost are the API's, unknown here. */
    @Override
    public ModelMetrics metrics(Predictions p, ExampleSet test, NDManager manager) {
        double nan = Double.NaN;
        return p == null
                ? new ModelMetrics(nan, nan, -1, test.size(), -1, -1, nan, nan, nan, nan, nan, 0)
                : new ModelMetrics(
                        p.accuracy(test),
                        p.macroF1(test),
                        p.errors(test),
                        test.size(),
                        -1,
                        -1,
                        1.0,
                        0.0,
                        nan,
                        nan,
                        nan,
                        0);
    }

    /** Per split collected so far: {@link #provenance}. */
    @Override
    public Map<String, Object> labelCollection() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, CollectionResult> e : collected.entrySet()) {
            try {
                m.put(e.getKey(), provenance(e.getKey(), e.getValue()));
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
        }
        return m.isEmpty() ? null : m;
    }

    @Override
    public void close() {
        // The JDK client of Java 17 cannot be closed; its threads are daemons.
    }

    private CollectionResult collectedOn(String split, ExampleSet rows) throws IOException {
        CollectionResult r = collected.get(split);
        return r != null && r.outputs().rows() + r.failedRows().size() == rows.size()
                ? r
                : collect(split, rows, listener.collection(split));
    }

    private static Map<String, Integer> failedKinds(CollectionResult r) {
        Map<String, Integer> kinds = new TreeMap<>();
        r.failedRows().forEach(f -> kinds.merge(f.kind(), 1, Integer::sum));
        return kinds;
    }

    /**
     * Summarises a collection for the provenance manifest: protocol, endpoint, model and the
     * versions that answered, rows answered and failed, requests, retries, errors and tokens, and
     * the journal's SHA-256 (so the exact answers can be matched later).
     */
    public Map<String, Object> provenance(String split, CollectionResult r) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        HttpTeacherConfig c = collector.config();
        m.put("split", split);
        m.put("protocol", c.protocol().name().toLowerCase(java.util.Locale.ROOT));
        m.put("endpoint", c.endpoint().toString());
        m.put("model", c.model());
        TreeSet<String> versions = new TreeSet<>();
        for (CollectedItem item : r.items()) {
            versions.add(
                    item.modelVersion() == null || item.modelVersion().isEmpty()
                            ? "(none reported)"
                            : item.modelVersion());
        }
        m.put("model_versions", versions);
        m.put("value_kind", r.valueKind().wireName());
        m.put("rows", r.succeededRows().length + r.failedRows().size());
        m.put("rows_answered", r.succeededRows().length);
        m.put("rows_failed", r.failedRows().size());
        m.put("failed_by_kind", failedKinds(r));
        m.put("requests", r.usage().requestsSent());
        m.put("retries", r.usage().retries());
        m.put("errors_by_kind", r.usage().errorsByKind());
        m.put("items_mostly_outside_labels", r.usage().itemsMostlyOutside());
        if (c.protocol() != Protocol.V2) {
            m.put("label_source", c.labelSource().wireName());
            if (c.labelSource() == HttpTeacherConfig.LabelSource.SAMPLES) {
                m.put("samples_per_item", c.samples());
            }
            m.put("items_by_label_source", r.usage().itemsByLabelSource());
            m.put("answers_unmappable", r.usage().answersUnmappable());
            m.put("logprobs_unsupported", r.usage().logprobsUnsupported());
            m.put("on_missing_logprobs", c.onMissingLogprobs().wireName());
        }
        m.put("prompt_tokens", r.usage().promptTokens());
        m.put("completion_tokens", r.usage().completionTokens());
        Path journal = journalDir(split).resolve(CollectionJournal.FILE);
        m.put("journal", out.relativize(journal).toString());
        m.put("journal_sha256", Files.isRegularFile(journal) ? Hashing.sha256(journal) : null);
        return m;
    }
}
