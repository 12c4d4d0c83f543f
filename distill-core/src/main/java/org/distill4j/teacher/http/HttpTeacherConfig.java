package org.distill4j.teacher.http;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.distill4j.io.Hashing;
import org.distill4j.teacher.TeacherIdentity;

/**
 * Everything a {@link LabelCollector} needs to know about an HTTP teacher and how hard to push it.
 * Immutable and validated; build one with {@link #builder(Protocol, String, String)}.
 *
 * <p>The fields split in two. Those that decide <em>what</em> the teacher answers (protocol,
 * endpoint, model, version, input/output settings, prompt template, top-k, max tokens)
 * make up the job {@link #fingerprint(List) fingerprint} and the {@link #identity(List) teacher
 * identity}: a journal written under one fingerprint is never resumed under another. Those that
 * only decide <em>how fast</em> (batch size, concurrency, rates, timeout, retries) and the API key are left
 * out, so a resumed run may change them.
 *
 * @param protocol the wire protocol
 * @param baseUrl the server's base URL, http or https, without credentials, query or fragment,
 *     e.g. {@code http://localhost:8080}; for OpenAI a trailing {@code /v1} is accepted
 * @param model the model name ({@code model} field for OpenAI, path segment for v2)
 * @param modelVersion v2 only: the version path segment, or "" for the server's default
 * @param apiKey the key sent as a bearer token, or {@link ApiKey#none()}
 * @param v2Input v2 only: send the rows' features (FP32) or their text (BYTES)
 * @param v2InputName v2 only: the input tensor's name
 * @param v2Output v2 only: whether the output tensor holds logits or probabilities
 * @param v2OutputName v2 only: the output tensor to read, or "" for the first one
 * @param promptTemplate OpenAI only: the user message, with {@code {text}} (required) and
 *     {@code {labels}} (optional) placeholders
 * @param topLogprobs OpenAI only: alternatives listed per generated token, in [1, 20]
 * @param maxTokens OpenAI only: the generation limit, in [1, 4096]
 * @param batchSize items per request: in [1, 4096] for v2, exactly 1 for OpenAI
 * @param concurrency requests in flight at once, in [1, 256]
 * @param requestsPerMinute request rate limit, >= 0, 0 = unlimited
 * @param tokensPerMinute token rate limit (prompt + completion), >= 0, 0 = unlimited; v2
 *     requests count no tokens
 * @param timeout per-request timeout (connect and whole response), > 0
 * @param retry attempts, backoff and {@code Retry-After} handling
 * @param labelSource OpenAI only: how an answer becomes a label (soft labels from log-probabilities,
 *     a hard label from the text, or soft labels estimated from sampled completions)
 * @param samples OpenAI with {@link LabelSource#SAMPLES}: completions per item ({@code n}), in
 *     [2, 128]
 * @param onMissingLogprobs OpenAI with {@link LabelSource#LOGPROBS}: what to do when the server
 *     answers without log-probabilities
 */
public record HttpTeacherConfig(
        Protocol protocol,
        URI baseUrl,
        String model,
        String modelVersion,
        ApiKey apiKey,
        V2Input v2Input,
        String v2InputName,
        V2Output v2Output,
        String v2OutputName,
        String promptTemplate,
        int topLogprobs,
        int maxTokens,
        int batchSize,
        int concurrency,
        double requestsPerMinute,
        double tokensPerMinute,
        Duration timeout,
        RetryPolicy retry,
        LabelSource labelSource,
        int samples,
        MissingLogprobs onMissingLogprobs) {

    /**
     * The default prompt: asks for the label only and wraps the text in {@code <text>} tags (the
     * distill4j serving facade classifies the text inside the last {@code <text>...</text>}).
     */
    public static final String DEFAULT_TEMPLATE = "Classify the text into exactly one of these labels: {labels}.\n"
            + "Answer with the label only, nothing else.\n\n<text>\n{text}\n</text>";

    /** What a v2 request sends for each row. */
    public enum V2Input {
        /** The row's dense float features, datatype FP32, shape [B, featureShape...]. */
        FEATURES,
        /** The row's raw text ({@code ExampleSet.text(i)}), datatype BYTES, shape [B]. */
        TEXT
    }

    /** OpenAI: how a chat completion becomes a label. */
    public enum LabelSource {
        /** Soft labels from the answer's {@code top_logprobs} ({@link LabelLogprobs}); one request per item. */
        LOGPROBS,
        /**
         * A hard label: the completion text (temperature 0) mapped to a class name ({@link AnswerLabel});
         * one request per item, no log-probabilities asked for. An answer naming no class fails the item
         * as {@link ErrorKind#LABEL_NOT_IN_ANSWER}.
         */
        TEXT,
        /**
         * Soft labels estimated from {@code samples} completions at temperature 1 (one request with
         * {@code n}): the share of the completions naming each class; answers naming no class are
         * counted and left out; no log-probabilities asked for.
         */
        SAMPLES;

        /** Returns the configuration name: {@code logprobs}, {@code text} or {@code samples}. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /**
         * Parses a configuration name.
         *
         * @throws IllegalArgumentException naming the value and the allowed ones
         */
        public static LabelSource parse(String name) {
            for (LabelSource l : values()) {
                if (l.wireName().equalsIgnoreCase(name)) {
                    return l;
                }
            }
            throw new IllegalArgumentException(
                    "illegal labels value: '" + name + "', allowed: [logprobs, text, samples]");
        }
    }

    /** OpenAI with log-probabilities: what to do when a server answers without them. */
    public enum MissingLogprobs {
        /**
         * The first answer without log-probabilities stops the run ({@link CollectionAbortedException})
         * with a message saying so; nothing is retried and nothing is labelled from it.
         */
        FAIL,
        /**
         * Switch to hard labels ({@link LabelSource#TEXT}) for the rest of the run: the answer that
         * revealed it is labelled from its text, later requests no longer ask for log-probabilities,
         * and {@code usage.json} records the switch.
         */
        TEXT;

        /** Returns the configuration name: {@code fail} or {@code text}. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /**
         * Parses a configuration name.
         *
         * @throws IllegalArgumentException naming the value and the allowed ones
         */
        public static MissingLogprobs parse(String name) {
            for (MissingLogprobs m : values()) {
                if (m.wireName().equalsIgnoreCase(name)) {
                    return m;
                }
            }
            throw new IllegalArgumentException(
                    "illegal on_missing_logprobs value: '" + name + "', allowed: [fail, text]");
        }
    }

    /** What a v2 model's output tensor holds. */
    public enum V2Output {
        /** Raw scores; stored as they are. */
        LOGITS,
        /** Probabilities (non-negative, each row summing to 1 within 1e-3); stored as their logs. */
        PROBABILITIES
    }

    /** Validates every field; messages name the field, the value and what is allowed. */
    public HttpTeacherConfig {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(v2Input, "v2Input");
        Objects.requireNonNull(v2Output, "v2Output");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(retry, "retry");
        labelSource = labelSource == null ? LabelSource.LOGPROBS : labelSource;
        onMissingLogprobs = onMissingLogprobs == null ? MissingLogprobs.FAIL : onMissingLogprobs;
        modelVersion = modelVersion == null ? "" : modelVersion;
        v2InputName = v2InputName == null ? "" : v2InputName;
        v2OutputName = v2OutputName == null ? "" : v2OutputName;
        String scheme = baseUrl.getScheme();
        if (scheme == null
                || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || baseUrl.getHost() == null) {
            throw new IllegalArgumentException("illegal baseUrl value: " + baseUrl.getScheme() + "://"
                    + baseUrl.getHost() + ", must be an absolute http or https URL with a host");
        }
        if (baseUrl.getRawUserInfo() != null) {
            // Never echo the URL here: its user-info may be a password.
            throw new IllegalArgumentException("illegal baseUrl value: it contains credentials (user-info); "
                    + "remove them and give the key as an API key (environment variable or file)");
        }
        if (baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
            throw new IllegalArgumentException("illegal baseUrl value: " + baseUrl.getScheme() + "://"
                    + baseUrl.getRawAuthority() + baseUrl.getRawPath()
                    + "?...: must have no query or fragment (keys in query strings would be written to the journal)");
        }
        if (model.isBlank()) {
            throw new IllegalArgumentException("illegal model value: '" + model + "', must be a non-blank model name");
        }
        if (v2InputName.isBlank()) {
            v2InputName = v2Input == V2Input.TEXT ? "text" : "input";
        }
        if (promptTemplate == null || promptTemplate.isEmpty()) {
            promptTemplate = DEFAULT_TEMPLATE;
        }
        if (!promptTemplate.contains("{text}")) {
            throw new IllegalArgumentException(
                    "illegal promptTemplate value: '" + promptTemplate + "', must contain the placeholder {text}");
        }
        if (topLogprobs < 1 || topLogprobs > 20) {
            throw new IllegalArgumentException(
                    "illegal topLogprobs value: " + topLogprobs + ", must be in [1, 20] (the OpenAI API's limit)");
        }
        if (maxTokens < 1 || maxTokens > 4096) {
            throw new IllegalArgumentException("illegal maxTokens value: " + maxTokens + ", must be in [1, 4096]");
        }
        if (protocol != Protocol.V2 && batchSize != 1) {
            throw new IllegalArgumentException("illegal batchSize value: " + batchSize + ", must be 1 for the "
                    + protocol.wireName() + " protocol (one completion per item)");
        }
        if (protocol == Protocol.ANTHROPIC && labelSource != LabelSource.TEXT) {
            throw new IllegalArgumentException("illegal labels value: " + labelSource.wireName() + ", must be text for "
                    + "the anthropic protocol (its Messages API gives no log-probabilities and no n)");
        }
        if (batchSize < 1 || batchSize > 4096) {
            throw new IllegalArgumentException("illegal batchSize value: " + batchSize + ", must be in [1, 4096]");
        }
        if (concurrency < 1 || concurrency > 256) {
            throw new IllegalArgumentException("illegal concurrency value: " + concurrency + ", must be in [1, 256]");
        }
        if (!(requestsPerMinute >= 0) || Double.isInfinite(requestsPerMinute)) {
            throw new IllegalArgumentException("illegal requestsPerMinute value: " + requestsPerMinute
                    + ", must be a finite value >= 0 (0 = unlimited)");
        }
        if (!(tokensPerMinute >= 0) || Double.isInfinite(tokensPerMinute)) {
            throw new IllegalArgumentException("illegal tokensPerMinute value: " + tokensPerMinute
                    + ", must be a finite value >= 0 (0 = unlimited)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("illegal timeout value: " + timeout + ", must be > 0");
        }
        if (labelSource == LabelSource.SAMPLES && (samples < 2 || samples > 128)) {
            throw new IllegalArgumentException("illegal samples value: " + samples
                    + ", must be in [2, 128] (completions per item for labels: samples)");
        }
    }

    /**
     * Starts a builder with every optional field at its default.
     *
     * @param protocol the wire protocol
     * @param baseUrl the server's base URL
     * @param model the model name
     */
    public static Builder builder(Protocol protocol, String baseUrl, String model) {
        return new Builder(protocol, parseUrl(Objects.requireNonNull(baseUrl, "baseUrl")), model);
    }

    /**
     * Parses a base URL without ever echoing it: a malformed one may hold a password, and the
     * JDK's parse error quotes its whole input.
     */
    static URI parseUrl(String url) {
        try {
            return new URI(url);
        } catch (java.net.URISyntaxException e) {
            int at = url.lastIndexOf('@');
            String shown = at < 0 ? url : url.substring(0, url.indexOf("//") + 2) + "***@" + url.substring(at + 1);
            throw new IllegalArgumentException("illegal baseUrl value: '" + shown + "' is not a valid URL ("
                    + e.getReason() + "); credentials, if any, are hidden here: give the key as an API key instead");
        }
    }

    /** Returns a builder holding this configuration's values. */
    public Builder toBuilder() {
        Builder b = new Builder(protocol, baseUrl, model);
        b.modelVersion = modelVersion;
        b.apiKey = apiKey;
        b.v2Input = v2Input;
        b.v2InputName = v2InputName;
        b.v2Output = v2Output;
        b.v2OutputName = v2OutputName;
        b.promptTemplate = promptTemplate;
        b.topLogprobs = topLogprobs;
        b.maxTokens = maxTokens;
        b.batchSize = batchSize;
        b.concurrency = concurrency;
        b.requestsPerMinute = requestsPerMinute;
        b.tokensPerMinute = tokensPerMinute;
        b.timeout = timeout;
        b.retry = retry;
        b.labelSource = labelSource;
        b.samples = samples;
        b.onMissingLogprobs = onMissingLogprobs;
        return b;
    }

    /**
     * Returns the URL requests are posted to: {@code {base}/v2/models/{model}[/versions/{v}]/infer}
     * or {@code {base}/v1/chat/completions}. It never holds credentials (the constructor refuses
     * them), so it may be logged and journaled.
     */
    public URI endpoint() {
        String base = baseUrl.toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        if (protocol == Protocol.OPENAI) {
            // OPENAI_BASE_URL-style values already end in /v1.
            return URI.create(base.endsWith("/v1") ? base + "/chat/completions" : base + "/v1/chat/completions");
        }
        if (protocol == Protocol.ANTHROPIC) {
            return URI.create(base.endsWith("/v1") ? base + "/messages" : base + "/v1/messages");
        }
        String path = "/v2/models/" + segment(model);
        if (!modelVersion.isEmpty()) {
            path += "/versions/" + segment(modelVersion);
        }
        return URI.create(base + path + "/infer");
    }

    private static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Returns the job fingerprint for a label set: every setting that changes what the teacher
     * answers, in a fixed order (never the key or the pacing settings). Written as the journal's
     * header and hashed into the teacher identity.
     *
     * @param labels the class names, in class order
     */
    public Map<String, Object> fingerprint(List<String> labels) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("protocol", protocol.wireName());
        f.put("endpoint", endpoint().toString());
        f.put("model", model);
        f.put("labels", List.copyOf(labels));
        // Not the batch size: rows are answered alike however they are grouped (to float
        // rounding), so a resumed run may send larger or smaller batches.
        if (protocol == Protocol.V2) {
            f.put("modelVersion", modelVersion);
            f.put("input", v2Input.name().toLowerCase(java.util.Locale.ROOT));
            f.put("inputName", v2InputName);
            f.put("output", v2Output.name().toLowerCase(java.util.Locale.ROOT));
            f.put("outputName", v2OutputName);
        } else if (protocol == Protocol.ANTHROPIC) {
            f.put("templateSha256", Hashing.sha256(promptTemplate));
            f.put("maxTokens", maxTokens);
        } else {
            f.put("templateSha256", Hashing.sha256(promptTemplate));
            f.put("topLogprobs", topLogprobs);
            f.put("maxTokens", maxTokens);
            // Only when not the default, so journals written before label sources existed still resume.
            if (labelSource != LabelSource.LOGPROBS) {
                f.put("labelSource", labelSource.wireName());
            }
            if (labelSource == LabelSource.SAMPLES) {
                f.put("samples", samples);
            }
        }
        return f;
    }

    /**
     * Returns the identity of this teacher on a label set: kind {@code http-v2} or {@code
     * http-openai}, location the endpoint URL, content hash the SHA-256 of the {@link
     * #fingerprint(List) fingerprint}. Its {@link TeacherIdentity#cacheKey()} keys teacher-output
     * caches: the same model, endpoint, template, labels and settings give the same key.
     */
    public TeacherIdentity identity(List<String> labels) {
        String hash = Hashing.sha256(JournalJson.canonical(fingerprint(labels)));
        String what = protocol == Protocol.OPENAI
                ? switch (labelSource) {
                    case LOGPROBS -> "chat completions, top_logprobs=" + topLogprobs;
                    case TEXT -> "chat completions, hard labels from the text";
                    case SAMPLES -> "chat completions, labels estimated from " + samples + " samples";
                }
                : protocol == Protocol.ANTHROPIC
                        ? "Anthropic messages, hard labels from the text"
                        : "open inference v2 " + v2Output.name().toLowerCase(java.util.Locale.ROOT);
        return new TeacherIdentity(
                protocol.teacherKind(), endpoint().toString(), hash, "model " + model + " via " + what);
    }

    /** Returns e.g. {@code HttpTeacher(openai, http://host/v1/chat/completions, model=m)}, without the key. */
    @Override
    public String toString() {
        return "HttpTeacher(" + protocol.wireName() + ", " + endpoint() + ", model=" + model + ", batch=" + batchSize
                + ", concurrency=" + concurrency + ", rpm=" + requestsPerMinute + ", tpm=" + tokensPerMinute
                + ", key=" + apiKey + ")";
    }

    /** Builds a {@link HttpTeacherConfig}: {@code setX} for required values, {@code optX} for optional ones. */
    public static final class Builder {
        private final Protocol protocol;
        private final URI baseUrl;
        private final String model;
        private String modelVersion = "";
        private ApiKey apiKey = ApiKey.none();
        private V2Input v2Input = V2Input.FEATURES;
        private String v2InputName = "";
        private V2Output v2Output = V2Output.LOGITS;
        private String v2OutputName = "";
        private String promptTemplate = DEFAULT_TEMPLATE;
        private int topLogprobs = 20;
        private int maxTokens = 16;
        private Integer batchSize;
        private int concurrency = 4;
        private double requestsPerMinute;
        private double tokensPerMinute;
        private Duration timeout = Duration.ofSeconds(60);
        private RetryPolicy retry = RetryPolicy.DEFAULT;
        private LabelSource labelSource;
        private int samples = 8;
        private MissingLogprobs onMissingLogprobs = MissingLogprobs.FAIL;

        private Builder(Protocol protocol, URI baseUrl, String model) {
            this.protocol = Objects.requireNonNull(protocol, "protocol");
            this.baseUrl = baseUrl;
            this.model = model;
        }

        /** v2: the model version path segment (default: none, the server's default version). */
        public Builder optModelVersion(String v) {
            this.modelVersion = v;
            return this;
        }

        /** The API key (default: none). */
        public Builder optApiKey(ApiKey key) {
            this.apiKey = key;
            return this;
        }

        /**
         * v2: send features or text (default features), and the input tensor's name (default
         * {@code input} or {@code text}).
         */
        public Builder optV2Input(V2Input input, String name) {
            this.v2Input = input;
            this.v2InputName = name;
            return this;
        }

        /** v2: what the output holds (default logits), and its name (default "": the first output). */
        public Builder optV2Output(V2Output output, String name) {
            this.v2Output = output;
            this.v2OutputName = name;
            return this;
        }

        /** OpenAI: the prompt template (default {@link #DEFAULT_TEMPLATE}). */
        public Builder optPromptTemplate(String template) {
            this.promptTemplate = template;
            return this;
        }

        /** OpenAI: alternatives per token, 1..20 (default 20). */
        public Builder optTopLogprobs(int k) {
            this.topLogprobs = k;
            return this;
        }

        /** OpenAI: generation limit (default 16). */
        public Builder optMaxTokens(int n) {
            this.maxTokens = n;
            return this;
        }

        /** Items per request (default 16 for v2, 1 for OpenAI). */
        public Builder optBatchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /** Requests in flight (default 4). */
        public Builder optConcurrency(int n) {
            this.concurrency = n;
            return this;
        }

        /** Request and token rate limits per minute (default 0, 0 = unlimited). */
        public Builder optRateLimits(double requestsPerMinute, double tokensPerMinute) {
            this.requestsPerMinute = requestsPerMinute;
            this.tokensPerMinute = tokensPerMinute;
            return this;
        }

        /** Per-request timeout (default 60 s). */
        public Builder optTimeout(Duration t) {
            this.timeout = t;
            return this;
        }

        /** Retry policy (default {@link RetryPolicy#DEFAULT}). */
        public Builder optRetry(RetryPolicy r) {
            this.retry = r;
            return this;
        }

        /**
         * OpenAI: how answers become labels (default {@link LabelSource#LOGPROBS}); {@code samples}
         * is the number of completions per item for {@link LabelSource#SAMPLES} (default 8, else
         * unused).
         */
        public Builder optLabelSource(LabelSource source, int samples) {
            this.labelSource = source;
            this.samples = samples;
            return this;
        }

        /** OpenAI with log-probabilities: what to do without them (default {@link MissingLogprobs#FAIL}). */
        public Builder optOnMissingLogprobs(MissingLogprobs policy) {
            this.onMissingLogprobs = policy;
            return this;
        }

        /** Validates and builds. */
        public HttpTeacherConfig build() {
            int batch = batchSize != null ? batchSize : protocol == Protocol.V2 ? 16 : 1;
            LabelSource source = labelSource != null
                    ? labelSource
                    : protocol == Protocol.ANTHROPIC ? LabelSource.TEXT : LabelSource.LOGPROBS;
            return new HttpTeacherConfig(
                    protocol,
                    baseUrl,
                    model,
                    modelVersion,
                    apiKey,
                    v2Input,
                    v2InputName,
                    v2Output,
                    v2OutputName,
                    promptTemplate,
                    topLogprobs,
                    maxTokens,
                    batch,
                    concurrency,
                    requestsPerMinute,
                    tokensPerMinute,
                    timeout,
                    retry,
                    source,
                    samples,
                    onMissingLogprobs);
        }
    }
}
