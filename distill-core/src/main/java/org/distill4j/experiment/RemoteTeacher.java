package org.distill4j.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.distill4j.data.ExampleSet;
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

/**
 * A recipe's teacher behind an HTTP API ({@code teacher.source: http}): its outputs on a split are
 * collected once into {@code OUT/teacher_outputs/<split>/} (the append-only journal and {@code
 * usage.json}) and a rerun resumes there, asking nothing twice.
 *
 * <p>Which rows the teacher answered, and what each answer cost, is summarised for the
 * provenance manifest by {@link #provenance}; the journal itself records, per item, the endpoint,
 * model and model version that answered it.
 */
public final class RemoteTeacher {

    /** Directory, under the experiment's output, of the per-split journals. */
    public static final String OUTPUTS_DIR = "teacher_outputs";

    private final LabelCollector collector;
    private final Path out;

    private RemoteTeacher(LabelCollector collector, Path out) {
        this.collector = collector;
        this.out = out;
    }

    /**
     * Creates the teacher a recipe section declares.
     *
     * @param http the recipe's {@code teacher.http}
     * @param textData whether the experiment's rows are texts (then v2 sends text by default)
     * @param out the experiment's output directory
     * @throws IllegalArgumentException naming the {@code teacher.http} key whose value is invalid
     * @throws IOException if the API key file cannot be read
     */
    public static RemoteTeacher of(Recipe.HttpSection http, boolean textData, Path out) throws IOException {
        return new RemoteTeacher(new LabelCollector(config(http, textData)), out);
    }

    /** Maps the recipe section to the collector's configuration. */
    static HttpTeacherConfig config(Recipe.HttpSection h, boolean textData) throws IOException {
        ApiKey key = h.apiKeyEnv() != null ? ApiKey.fromEnv(h.apiKeyEnv())
                : h.apiKeyFile() != null ? ApiKey.fromFile(h.apiKeyFile()) : ApiKey.none();
        try {
            HttpTeacherConfig.Builder b = HttpTeacherConfig.builder(Protocol.parse(h.protocol()), h.url(), h.model())
                    .optApiKey(key)
                    .optBatchSize(h.batchSize())
                    .optConcurrency(h.concurrency())
                    .optRateLimits(h.requestsPerMinute(), h.tokensPerMinute())
                    .optTimeout(Duration.ofMillis(Math.round(h.timeoutSeconds() * 1000)))
                    .optRetry(new RetryPolicy(h.maxAttempts(), RetryPolicy.DEFAULT.backoffBase(),
                            RetryPolicy.DEFAULT.backoffCap(), RetryPolicy.DEFAULT.retryAfterCap(), 0));
            if (h.version() != null) {
                b.optModelVersion(h.version());
            }
            if (h.protocol().equals("v2")) {
                boolean text = h.input() == null ? textData : h.input().equals("text");
                b.optV2Input(text ? HttpTeacherConfig.V2Input.TEXT : HttpTeacherConfig.V2Input.FEATURES,
                        h.inputName());
                b.optV2Output(h.output().equals("probabilities") ? HttpTeacherConfig.V2Output.PROBABILITIES
                        : HttpTeacherConfig.V2Output.LOGITS, h.outputName());
            } else {
                if (h.promptTemplate() != null) {
                    b.optPromptTemplate(h.promptTemplate());
                }
                b.optTopLogprobs(h.topLogprobs()).optMaxTokens(h.maxTokens());
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("teacher.http: " + e.getMessage(), e);
        }
    }

    /** Returns the teacher's identity on {@code data}'s label set (its output-cache key). */
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
        return collector.collect(data, journalDir(split), listener);
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
            versions.add(item.modelVersion() == null || item.modelVersion().isEmpty() ? "(none reported)"
                    : item.modelVersion());
        }
        m.put("model_versions", versions);
        m.put("value_kind", r.valueKind().wireName());
        m.put("rows", r.succeededRows().length + r.failedRows().size());
        m.put("rows_answered", r.succeededRows().length);
        m.put("rows_failed", r.failedRows().size());
        Map<String, Integer> failedKinds = new TreeMap<>();
        r.failedRows().forEach(f -> failedKinds.merge(f.kind(), 1, Integer::sum));
        m.put("failed_by_kind", failedKinds);
        m.put("requests", r.usage().requestsSent());
        m.put("retries", r.usage().retries());
        m.put("errors_by_kind", r.usage().errorsByKind());
        m.put("prompt_tokens", r.usage().promptTokens());
        m.put("completion_tokens", r.usage().completionTokens());
        Path journal = journalDir(split).resolve(CollectionJournal.FILE);
        m.put("journal", out.relativize(journal).toString());
        m.put("journal_sha256", Files.isRegularFile(journal) ? Hashing.sha256(journal) : null);
        return m;
    }
}
