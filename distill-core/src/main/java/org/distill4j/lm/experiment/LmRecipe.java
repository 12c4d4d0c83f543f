package org.distill4j.lm.experiment;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.token.BpeTrainer;
import org.distill4j.recipe.RecipeException;
import org.distill4j.teacher.http.ApiKey;

/**
 * A language-model recipe: the YAML that {@code distill run} hands to {@link LmExperiment} when its
 * {@code data.format} is {@code text}. Absent optional keys take the defaults documented on each
 * accessor; every value is validated on {@link #parse}, and a bad one is a {@link RecipeException}
 * naming its key.
 *
 * @param name run name (the default output directory is {@code runs/<name>})
 * @param seed split, initialisation and training seed
 * @param data corpus, split and window length
 * @param teacher teacher architecture and training, or a saved model ({@code path}) or an
 *     OpenAI-compatible server ({@code http})
 * @param student student architecture and training (the scratch and distilled students share it)
 * @param distillation the KD variant and its parameters
 * @param evaluation prompts for samples, generation measurement
 */
public record LmRecipe(
        String name,
        Long seed,
        Data data,
        Model teacher,
        Model student,
        Distillation distillation,
        Evaluation evaluation) {

    /**
     * @param format must be {@code text}
     * @param path a JSONL file (with {@code field}) or a plain UTF-8 file, optionally {@code .gz}
     * @param field the JSONL text field (default {@code text})
     * @param maxBytes read at most about this many bytes of documents (default: all)
     * @param validation share of documents for validation, by seeded hash (default 0.05)
     * @param test share for test (default 0.05)
     * @param context window length in tokens (default 128)
     * @param splitSeed the split's seed (default: the recipe's seed), so that runs with other
     *     training seeds can share one split and one teacher-output cache
     * @param streaming read, split and pack the corpus in one streaming pass into token files and
     *     train from them, so memory does not grow with the corpus (default: when the file is larger
     *     than {@link #STREAMING_THRESHOLD} bytes, the variant is not {@code sequence} and no teacher
     *     text is added); the windows are the same either way
     * @param studentShare share of the training documents the students (scratch and distilled) train
     *     on, in (0, 1] (default 1): a teacher trained here uses all of them, so a share below 1 is
     *     the setting of a student with less data than its teacher; not with streaming
     * @param tokenizer the tokenizer of every model the run trains (default: the byte tokenizer)
     * @param splitBy what the split keeps together: {@code document} (default; identical texts
     *     together) or {@code near_duplicates} (each group of near-duplicate documents, {@link
     *     org.distill4j.lm.corpus.NearDuplicates}: families of templated documents stay on one side,
     *     so the test split measures text the models did not read in another form; in memory only)
     */
    public record Data(
            String format,
            Path path,
            String field,
            @JsonProperty("max_bytes") Long maxBytes,
            Double validation,
            Double test,
            Integer context,
            @JsonProperty("split_seed") Long splitSeed,
            Boolean streaming,
            @JsonProperty("student_share") Double studentShare,
            TokenizerSpec tokenizer,
            @JsonProperty("split_by") String splitBy) {}

    /**
     * Which tokenizer the run's models use ({@code data.tokenizer}).
     *
     * @param type {@code byte} (default: 256 bytes + BOS/EOS) or {@code bpe}
     * @param vocabSize for {@code bpe}: train a byte-level BPE of this many ids (&gt;= 258) on the
     *     training split's documents (all of them, also with a student share), deterministically
     * @param file for {@code bpe}: read this Hugging Face {@code tokenizer.json} (byte-level BPE)
     *     instead of training one
     * @param bos with {@code file}: the BOS special token's name (default {@code <|bos|>})
     * @param eos with {@code file}: the EOS special token's name (default {@code <|eos|>})
     */
    public record TokenizerSpec(
            String type, @JsonProperty("vocab_size") Integer vocabSize, Path file, String bos, String eos) {}

    /** A corpus file larger than this (256 MiB) is streamed unless {@code data.streaming} says otherwise. */
    public static final long STREAMING_THRESHOLD = 256L << 20;

    /**
     * @param steps optimiser steps
     * @param batchSize windows per step
     * @param learningRate Adam's rate after warm-up
     * @param warmupSteps linear warm-up
     * @param select which parameters the training ends with: {@code last} (default) or {@code
     *     best_validation}, the best of ten evaluations on the validation windows (early stopping;
     *     {@link org.distill4j.lm.train.BestValidation})
     * @param schedule the learning rate after warm-up: {@code constant} (default), {@code cosine} (to 0
     *     at the last step) or {@code step}, as for classifiers ({@link org.distill4j.train.Schedule})
     */
    public record Training(
            Integer steps,
            @JsonProperty("batch_size") Integer batchSize,
            @JsonProperty("learning_rate") Double learningRate,
            @JsonProperty("warmup_steps") Integer warmupSteps,
            String select,
            String schedule) {

        /**
         * The training configuration these keys give, with the defaults for absent ones (batch 32,
         * learning rate 3e-3, warm-up 20 steps, constant schedule).
         */
        public org.distill4j.lm.train.LmTrainingConfig toConfig(long seed) {
            return new org.distill4j.lm.train.LmTrainingConfig(
                    steps,
                    batchSize == null ? 32 : batchSize,
                    learningRate == null ? 3e-3 : learningRate,
                    warmupSteps == null ? 20 : warmupSteps,
                    seed,
                    scheduleOrDefault());
        }

        /** The schedule named by {@code schedule}, constant when absent. */
        public org.distill4j.train.Schedule scheduleOrDefault() {
            return schedule == null ? org.distill4j.train.Schedule.CONSTANT : org.distill4j.train.Schedule.of(schedule);
        }

        /** Whether the training ends with its best validation step ({@code select: best_validation}). */
        public boolean selectsBestValidation() {
            return "best_validation".equals(select);
        }
    }

    /**
     * An OpenAI-compatible teacher: {@code /v1/completions} with echo and logprobs for top-k KD, or
     * continuations through {@code /v1/completions} or {@code /v1/chat/completions} for
     * sequence-level KD.
     *
     * @param url base URL, e.g. {@code http://127.0.0.1:8000/v1}
     * @param model the request's {@code model}
     * @param apiKeyEnv environment variable holding the key (none when absent)
     * @param apiKeyFile a file holding the key and nothing else (relative to the recipe; at most one
     *     of the two): read when a request is made, never copied into any output
     * @param concurrency requests in flight (default 2)
     * @param route sequence-level KD: {@code completions} (default) or {@code chat}
     * @param requestsPerMinute request rate limit (default 0 = unlimited)
     * @param tokensPerMinute token rate limit (default 0 = unlimited)
     */
    public record Http(
            String url,
            String model,
            @JsonProperty("api_key_env") String apiKeyEnv,
            Integer concurrency,
            String route,
            @JsonProperty("requests_per_minute") Double requestsPerMinute,
            @JsonProperty("tokens_per_minute") Double tokensPerMinute,
            @JsonProperty("api_key_file") Path apiKeyFile) {

        /**
         * Reads the key from {@code api_key_env} or {@code api_key_file}, or returns none.
         *
         * @throws IOException if the key file cannot be read
         * @throws IllegalArgumentException if the variable is unset or blank, or the file is empty (named)
         */
        public ApiKey apiKey() throws IOException {
            return apiKeyEnv != null
                    ? ApiKey.fromEnv(apiKeyEnv)
                    : apiKeyFile != null ? ApiKey.fromFile(apiKeyFile) : ApiKey.none();
        }
    }

    /**
     * A decoder: trained here from its architecture keys, loaded from {@code path}, or (teacher only)
     * reached over {@code http}. A teacher's {@code path} is a saved language model (a directory) or
     * a TorchScript module (a file) that maps (B, T) int64 ids of the recipe's tokenizer to (B, T, V)
     * logits and takes the recipe's window ({@code data.context}).
     */
    public record Model(
            String name,
            Path path,
            Http http,
            Integer layers,
            Integer width,
            Integer heads,
            Double dropout,
            String positions,
            @JsonProperty("tied_embeddings") Boolean tiedEmbeddings,
            Training training,
            String terms,
            @JsonProperty("terms_file") Path termsFile) {}

    /**
     * @param variant {@code full}, {@code topk}, {@code sampled} or {@code sequence}
     * @param k top-k entries (topk; default 20, at most 20)
     * @param samples draws per position (sampled; default 12)
     * @param temperature KD temperature (full, sampled; default 1)
     * @param alpha weight of the KD term against cross-entropy (default 0.5)
     * @param promptBytes teacher text (sequence-level KD, teacher_text_tokens): bytes of each training
     *     document the teacher continues (default 32)
     * @param maxNewTokens teacher text: tokens the teacher generates per prompt (default 256)
     * @param generatedTokens sequence-level KD: stop generating after this many tokens of text
     *     (default: as many as the student trains on, so each is seen about once)
     * @param teacherTextTokens the teacher also continues the training documents' prompts until this
     *     many tokens of text exist, and that text joins the students' documents in the transfer set
     *     (default 0: the documents only); the variant's loss applies to the union (for {@code
     *     sequence}, cross-entropy: the text-only API case with the distiller's own documents). With
     *     an http teacher the text comes over its completions route.
     * @param teacherShare the share of the transfer set's windows the teacher is asked about, in (0, 1]
     *     (topk; default 1): a seeded draw ({@link org.distill4j.lm.corpus.WindowShare}, the recipe's
     *     seed); the other windows train on cross-entropy alone
     * @param vocabularyMap {@code auto}: token-level KD from a saved teacher of another tokenizer,
     *     each student token mapped to the teacher token of the same bytes ({@link
     *     org.distill4j.lm.teacher.MappedLmTeacher}); default none (such a teacher is refused)
     */
    public record Distillation(
            String variant,
            Integer k,
            Integer samples,
            Double temperature,
            Double alpha,
            @JsonProperty("prompt_bytes") Integer promptBytes,
            @JsonProperty("max_new_tokens") Integer maxNewTokens,
            @JsonProperty("generated_tokens") Long generatedTokens,
            @JsonProperty("teacher_text_tokens") Long teacherTextTokens,
            @JsonProperty("teacher_share") Double teacherShare,
            @JsonProperty("vocabulary_map") String vocabularyMap) {}

    /**
     * @param prompts prompts every model continues greedily for the report
     * @param sampleTokens tokens per sample (default 60)
     * @param generationTokens tokens generated to measure speed (default 100)
     * @param scratch whether to train the student from scratch next to the distilled one (default
     *     true; false when a benchmark trains that row once for several distilled rows)
     * @param httpTeacher whether to evaluate an HTTP teacher over its API (one echo request per
     *     validation and test window; default: with variant {@code topk}, whose server must serve
     *     echo log-probabilities anyway)
     */
    public record Evaluation(
            List<String> prompts,
            @JsonProperty("sample_tokens") Integer sampleTokens,
            @JsonProperty("generation_tokens") Integer generationTokens,
            Boolean scratch,
            @JsonProperty("http_teacher") Boolean httpTeacher) {}

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    /** Whether the YAML file is a language-model recipe ({@code data.format: text}); false if unreadable. */
    public static boolean isLmRecipe(Path file) {
        try {
            JsonNode tree = YAML.readTree(Files.readString(file));
            return tree != null
                    && "text".equals(tree.path("data").path("format").asText(null));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Reads, overrides ({@code a.b=value}) and validates a recipe; relative paths resolve against its directory. */
    public static LmRecipe load(Path file, List<String> overrides) throws IOException, RecipeException {
        if (!Files.isRegularFile(file)) {
            throw new java.io.FileNotFoundException("recipe file not found: " + file);
        }
        return parse(
                Files.readString(file), file.toString(), file.toAbsolutePath().getParent(), overrides);
    }

    /** Parses recipe text; see {@link #load}. */
    public static LmRecipe parse(String yaml, String origin, Path baseDir, List<String> overrides)
            throws RecipeException {
        JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new RecipeException("", "recipe " + origin + " is not valid YAML: " + e.getOriginalMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw new RecipeException("", "recipe " + origin + " must be a YAML mapping");
        }
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new RecipeException(
                        "", "override '" + o + "' must look like key=value, e.g. student.training.steps=3");
            }
            String[] keys = o.substring(0, eq).trim().split("\\.");
            ObjectNode node = (ObjectNode) tree;
            for (int i = 0; i < keys.length - 1; i++) {
                JsonNode child = node.get(keys[i]);
                node = child instanceof ObjectNode on ? on : node.putObject(keys[i]);
            }
            if (o.substring(eq + 1).isBlank()) {
                node.remove(keys[keys.length - 1]); // "key=" removes the key (e.g. a teacher's architecture)
                continue;
            }
            try {
                node.set(keys[keys.length - 1], YAML.readTree(o.substring(eq + 1)));
            } catch (JsonProcessingException e) {
                throw new RecipeException(o.substring(0, eq), "override " + o + ": value is not valid YAML");
            }
        }
        LmRecipe r;
        try {
            r = YAML.treeToValue(tree, LmRecipe.class);
        } catch (JsonProcessingException e) {
            throw new RecipeException("", "recipe " + origin + ": " + e.getOriginalMessage());
        }
        return r.resolve(baseDir).validate(origin);
    }

    private LmRecipe resolve(Path base) {
        Data d = data == null
                ? null
                : new Data(
                        data.format,
                        abs(base, data.path),
                        data.field,
                        data.maxBytes,
                        data.validation,
                        data.test,
                        data.context,
                        data.splitSeed,
                        data.streaming,
                        data.studentShare,
                        data.tokenizer == null || data.tokenizer.file == null
                                ? data.tokenizer
                                : new TokenizerSpec(
                                        data.tokenizer.type,
                                        data.tokenizer.vocabSize,
                                        abs(base, data.tokenizer.file),
                                        data.tokenizer.bos,
                                        data.tokenizer.eos),
                        data.splitBy);
        return new LmRecipe(name, seed, d, resolve(teacher, base), resolve(student, base), distillation, evaluation);
    }

    private static Model resolve(Model m, Path base) {
        return m == null
                ? null
                : new Model(
                        m.name,
                        abs(base, m.path),
                        m.http == null
                                ? null
                                : new Http(
                                        m.http.url,
                                        m.http.model,
                                        m.http.apiKeyEnv,
                                        m.http.concurrency,
                                        m.http.route,
                                        m.http.requestsPerMinute,
                                        m.http.tokensPerMinute,
                                        abs(base, m.http.apiKeyFile)),
                        m.layers,
                        m.width,
                        m.heads,
                        m.dropout,
                        m.positions,
                        m.tiedEmbeddings,
                        m.training,
                        m.terms,
                        abs(base, m.termsFile));
    }

    private static Path abs(Path base, Path p) {
        return p == null || p.isAbsolute() || base == null ? p : base.resolve(p).normalize();
    }

    private LmRecipe validate(String origin) throws RecipeException {
        require(
                name != null && name.matches("[A-Za-z0-9._-]+"),
                "name",
                "name must be a non-empty word of letters, " + "digits, '.', '_' or '-', got " + name);
        require(data != null, "data", "section data is required");
        require("text".equals(data.format), "data.format", "data.format must be text for a language-model recipe");
        require(data.path != null, "data.path", "data.path (a JSONL or text file) is required");
        require(Files.isRegularFile(data.path), "data.path", "data.path " + data.path + " is not a file");
        double v = validationShare();
        double t = testShare();
        require(
                v > 0 && t > 0 && v + t < 1,
                "data.validation",
                "data.validation and data.test must be > 0 with a sum " + "< 1, got " + v + " and " + t);
        require(context() >= 2, "data.context", "data.context must be >= 2, got " + context());
        require(
                !(Boolean.TRUE.equals(data.streaming) && "sequence".equals(variant())),
                "data.streaming",
                "data.streaming: true cannot be used with distillation.variant sequence (its prompts are "
                        + "taken from the training documents held in memory); set data.streaming: false");
        require(
                studentShare() > 0 && studentShare() <= 1,
                "data.student_share",
                "data.student_share must be in (0, 1], got " + studentShare());
        require(
                data.splitBy == null || data.splitBy.equals("document") || data.splitBy.equals("near_duplicates"),
                "data.split_by",
                "data.split_by must be document or near_duplicates, got " + data.splitBy);
        require(
                splitUnit() == CorpusSplit.Unit.DOCUMENT || !streaming(),
                "data.split_by",
                "data.split_by: near_duplicates reads every document before splitting, which streaming does not;"
                        + " set data.streaming: false");
        require(
                studentShare() == 1 || !streaming(),
                "data.student_share",
                "data.student_share below 1 needs the corpus in memory; set data.streaming: false");
        validateTokenizer();
        require(teacher != null, "teacher", "section teacher is required");
        require(student != null, "student", "section student is required");
        int sources =
                (teacher.path != null ? 1 : 0) + (teacher.http != null ? 1 : 0) + (teacher.layers != null ? 1 : 0);
        require(
                sources == 1,
                "teacher",
                "teacher needs exactly one of: architecture keys (layers, width, heads) to "
                        + "train it, path (a saved language model directory or a TorchScript file), http (an "
                        + "OpenAI-compatible server)");
        if (teacher.path != null && Files.isRegularFile(teacher.path)) {
            // A TorchScript module carries no tokenizer: its ids must be in one the run can name.
            require(
                    !"bpe".equals(tokenizerType()) || data.tokenizer.file != null,
                    "data.tokenizer.vocab_size",
                    "teacher.path " + teacher.path + " is a TorchScript module, whose ids cannot be in a BPE this"
                            + " run trains (data.tokenizer.vocab_size); give the tokenizer it was trained with"
                            + " (data.tokenizer.file) or use the byte tokenizer");
        }
        if (teacher.http != null) {
            require(
                    teacher.http.url != null && teacher.http.model != null,
                    "teacher.http",
                    "teacher.http needs url and model");
            require(
                    teacher.http.apiKeyEnv == null || teacher.http.apiKeyFile == null,
                    "teacher.http.api_key_file",
                    "teacher.http.api_key_env and api_key_file are both set: give one of them");
            require(
                    "topk".equals(variant()) || "sequence".equals(variant()),
                    "distillation.variant",
                    "an http teacher serves top-k log-probabilities (variant topk) or text (variant sequence); "
                            + "full and sampled KD need the teacher in-process");
            require(
                    teacher.http.route == null
                            || teacher.http.route.equals("completions")
                            || teacher.http.route.equals("chat") && "sequence".equals(variant()),
                    "teacher.http.route",
                    "teacher.http.route must be completions or chat (chat only for variant sequence), got '"
                            + teacher.http.route + "'");
            require(
                    (teacher.http.requestsPerMinute == null || teacher.http.requestsPerMinute >= 0)
                            && (teacher.http.tokensPerMinute == null || teacher.http.tokensPerMinute >= 0),
                    "teacher.http",
                    "teacher.http.requests_per_minute and tokens_per_minute must be >= 0 (0 = unlimited)");
        }
        require(
                student.path == null && student.http == null && student.layers != null,
                "student",
                "student needs its architecture (layers, width, heads)");
        if (teacher.layers != null) {
            decoder(teacher, "teacher", BpeTrainer.MIN_VOCAB); // architecture checks; the vocabulary comes later
            require(
                    teacher.training != null && teacher.training.steps != null,
                    "teacher.training.steps",
                    "teacher.training.steps is required for a teacher trained here");
        }
        decoder(student, "student", BpeTrainer.MIN_VOCAB);
        for (Model m : new Model[] {teacher, student}) {
            String section = m == teacher ? "teacher" : "student";
            require(
                    m.training == null
                            || m.training.select == null
                            || m.training.select.equals("last")
                            || m.training.selectsBestValidation(),
                    section + ".training.select",
                    section + ".training.select must be last or best_validation, got '"
                            + (m.training == null ? null : m.training.select) + "'");
            require(
                    m.training == null || m.training.schedule == null || knownSchedule(m.training.schedule),
                    section + ".training.schedule",
                    section + ".training.schedule must be constant, cosine or step, got '"
                            + (m.training == null ? null : m.training.schedule) + "'");
        }
        require(
                student.training != null && student.training.steps != null,
                "student.training.steps",
                "student.training.steps is required");
        require(
                List.of("full", "topk", "sampled", "sequence").contains(variant()),
                "distillation.variant",
                "distillation.variant must be one of full, topk, sampled, sequence, got " + variant());
        require(k() >= 1 && k() <= 20, "distillation.k", "distillation.k must be in [1, 20], got " + k());
        require(
                alpha() >= 0 && alpha() <= 1,
                "distillation.alpha",
                "distillation.alpha must be in [0, 1], got " + alpha());
        require(temperature() > 0, "distillation.temperature", "distillation.temperature must be > 0");
        require(samples() >= 1, "distillation.samples", "distillation.samples must be >= 1");
        require(
                generatedTokens() == null || generatedTokens() >= 1,
                "distillation.generated_tokens",
                "distillation.generated_tokens must be >= 1, got " + generatedTokens());
        require(
                teacherTextTokens() >= 0,
                "distillation.teacher_text_tokens",
                "distillation.teacher_text_tokens must be >= 0, got " + teacherTextTokens());
        require(
                teacherTextTokens() == 0 || distillation.generatedTokens == null,
                "distillation.teacher_text_tokens",
                "distillation.teacher_text_tokens (teacher text added to the students' documents) and "
                        + "generated_tokens (teacher text instead of them, variant sequence) are both set: give one");
        require(
                distillation == null || distillation.vocabularyMap == null || mapsVocabulary(),
                "distillation.vocabulary_map",
                "distillation.vocabulary_map must be auto (map tokens of the same bytes), got '"
                        + (distillation == null ? null : distillation.vocabularyMap) + "'");
        require(
                !mapsVocabulary() || (teacher.http == null && !"sequence".equals(variant())),
                "distillation.vocabulary_map",
                "distillation.vocabulary_map maps an in-process teacher's token-level outputs; an http teacher "
                        + "answers in the student's vocabulary and sequence-level KD passes text, neither is mapped");
        require(
                teacherShare() > 0 && teacherShare() <= 1,
                "distillation.teacher_share",
                "distillation.teacher_share must be in (0, 1], got " + teacherShare());
        require(
                teacherShare() == 1 || "topk".equals(variant()),
                "distillation.teacher_share",
                "distillation.teacher_share below 1 needs variant topk (the teacher's outputs are cached per "
                        + "window); variant " + variant() + " asks the teacher on every step or for text");
        require(
                teacherTextTokens() == 0 || !streaming(),
                "distillation.teacher_text_tokens",
                "distillation.teacher_text_tokens takes its prompts from the training documents held in "
                        + "memory; set data.streaming: false");
        return this;
    }

    private static void require(boolean ok, String key, String message) throws RecipeException {
        if (!ok) {
            throw new RecipeException(key, message);
        }
    }

    /** The decoder of a model section trained or created here, for a tokenizer of {@code vocabSize} ids. */
    public DecoderConfig decoder(Model m, String section, int vocabSize) throws RecipeException {
        require(
                m.layers != null && m.width != null && m.heads != null,
                section,
                section + " needs layers, width and heads");
        Positions pos;
        try {
            pos = Positions.valueOf((m.positions == null ? "rotary" : m.positions).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new RecipeException(
                    section + ".positions", section + ".positions must be learned or rotary, got " + m.positions);
        }
        try {
            return new DecoderConfig(
                    vocabSize,
                    m.layers,
                    m.width,
                    m.heads,
                    context(),
                    m.dropout == null ? 0.0 : m.dropout,
                    pos,
                    Boolean.TRUE.equals(m.tiedEmbeddings));
        } catch (IllegalArgumentException e) {
            throw new RecipeException(section, section + ": " + e.getMessage());
        }
    }

    /** The seed (default 42). */
    public long seedOrDefault() {
        return seed == null ? 42 : seed;
    }

    /** The split seed (default: {@link #seedOrDefault()}). */
    public long splitSeed() {
        return data.splitSeed == null ? seedOrDefault() : data.splitSeed;
    }

    /** What the split keeps together ({@code data.split_by}; default: each document). */
    public CorpusSplit.Unit splitUnit() {
        return "near_duplicates".equals(data.splitBy) ? CorpusSplit.Unit.NEAR_DUPLICATES : CorpusSplit.Unit.DOCUMENT;
    }

    /** Validation share (default 0.05). */
    public double validationShare() {
        return data.validation == null ? 0.05 : data.validation;
    }

    /** Test share (default 0.05). */
    public double testShare() {
        return data.test == null ? 0.05 : data.test;
    }

    /** Window length (default 128). */
    public int context() {
        return data.context == null ? 128 : data.context;
    }

    /**
     * Whether the corpus is streamed into token files ({@code data.streaming}; default: when the file
     * is larger than {@link #STREAMING_THRESHOLD} and the variant is not {@code sequence}).
     */
    public boolean streaming() {
        if (data.streaming != null) {
            return data.streaming;
        }
        try {
            return !"sequence".equals(variant())
                    && teacherTextTokens() == 0
                    && splitUnit() == CorpusSplit.Unit.DOCUMENT
                    && Files.size(data.path) > STREAMING_THRESHOLD;
        } catch (IOException e) {
            return false; // reading it will name the problem
        }
    }

    /** The tokenizer type ({@code data.tokenizer.type}; default {@code byte}). */
    public String tokenizerType() {
        return data.tokenizer == null || data.tokenizer.type == null ? "byte" : data.tokenizer.type;
    }

    private void validateTokenizer() throws RecipeException {
        TokenizerSpec t = data.tokenizer;
        if (t == null) {
            return;
        }
        require(
                "byte".equals(tokenizerType()) || "bpe".equals(tokenizerType()),
                "data.tokenizer.type",
                "data.tokenizer.type must be byte or bpe, got '" + t.type + "'");
        if ("byte".equals(tokenizerType())) {
            require(
                    t.vocabSize == null && t.file == null && t.bos == null && t.eos == null,
                    "data.tokenizer",
                    "data.tokenizer.type byte takes no vocab_size, file, bos or eos");
            return;
        }
        require(
                (t.vocabSize == null) != (t.file == null),
                "data.tokenizer",
                "data.tokenizer.type bpe needs exactly one of vocab_size (train one on the training split) and "
                        + "file (a Hugging Face tokenizer.json)");
        if (t.vocabSize != null) {
            require(
                    t.vocabSize >= BpeTrainer.MIN_VOCAB,
                    "data.tokenizer.vocab_size",
                    "data.tokenizer.vocab_size must be >= " + BpeTrainer.MIN_VOCAB + " (256 bytes + BOS + EOS), got "
                            + t.vocabSize);
            require(
                    t.bos == null && t.eos == null,
                    "data.tokenizer",
                    "data.tokenizer.bos and eos name the special tokens of a file; a trained BPE has <|bos|> and"
                            + " <|eos|>");
        } else {
            require(
                    Files.isRegularFile(t.file),
                    "data.tokenizer.file",
                    "data.tokenizer.file " + t.file + " is not a file (expected a Hugging Face tokenizer.json)");
        }
    }

    /** Share of the training documents the students train on (default 1: all of them). */
    public double studentShare() {
        return data.studentShare == null ? 1.0 : data.studentShare;
    }

    /** The JSONL text field (default {@code text}). */
    public String field() {
        return data.field == null ? "text" : data.field;
    }

    /** The KD variant (default {@code topk}). */
    public String variant() {
        return distillation == null || distillation.variant == null ? "topk" : distillation.variant;
    }

    /** Top-k entries (default 20). */
    public int k() {
        return distillation == null || distillation.k == null ? 20 : distillation.k;
    }

    /** Samples per position for sampled KD (default 12). */
    public int samples() {
        return distillation == null || distillation.samples == null ? 12 : distillation.samples;
    }

    /** KD temperature (default 1). */
    public double temperature() {
        return distillation == null || distillation.temperature == null ? 1.0 : distillation.temperature;
    }

    /** KD weight (default 0.5). */
    public double alpha() {
        return distillation == null || distillation.alpha == null ? 0.5 : distillation.alpha;
    }

    /** Sequence-level KD prompt bytes (default 32). */
    public int promptBytes() {
        return distillation == null || distillation.promptBytes == null ? 32 : distillation.promptBytes;
    }

    /** Sequence-level KD tokens per generated document (default 256). */
    public int maxNewTokens() {
        return distillation == null || distillation.maxNewTokens == null ? 256 : distillation.maxNewTokens;
    }

    /** Sequence-level KD: tokens of teacher text to generate, or null for the student's training tokens. */
    public Long generatedTokens() {
        return distillation == null ? null : distillation.generatedTokens;
    }

    /** Tokens of teacher continuations added to the students' documents (default 0, none). */
    public long teacherTextTokens() {
        return distillation == null || distillation.teacherTextTokens == null ? 0 : distillation.teacherTextTokens;
    }

    /** Whether a teacher of another tokenizer is mapped into the student's ({@code distillation.vocabulary_map: auto}). */
    public boolean mapsVocabulary() {
        return distillation != null && "auto".equals(distillation.vocabularyMap);
    }

    /** The share of the transfer windows the teacher is asked about (default 1, every window). */
    public double teacherShare() {
        return distillation == null || distillation.teacherShare == null ? 1.0 : distillation.teacherShare;
    }

    /** Prompts for the samples (default three Debian-style openings). */
    public List<String> prompts() {
        return evaluation == null || evaluation.prompts == null
                ? List.of("Python library for", "This package contains", "GNU ")
                : evaluation.prompts;
    }

    /** Tokens per sample (default 60). */
    public int sampleTokens() {
        return evaluation == null || evaluation.sampleTokens == null ? 60 : evaluation.sampleTokens;
    }

    /** Tokens generated to measure speed (default 100). */
    public int generationTokens() {
        return evaluation == null || evaluation.generationTokens == null ? 100 : evaluation.generationTokens;
    }

    /** Whether the run trains the scratch student ({@code evaluation.scratch}, default true). */
    public boolean trainScratch() {
        return evaluation == null || evaluation.scratch == null || evaluation.scratch;
    }

    /**
     * Whether an HTTP teacher is evaluated over its API ({@code evaluation.http_teacher}; default:
     * for variant {@code topk}); false for a teacher in-process, which is always evaluated.
     */
    public boolean evaluatesHttpTeacher() {
        if (teacher.http == null) {
            return false;
        }
        return evaluation != null && evaluation.httpTeacher != null ? evaluation.httpTeacher : "topk".equals(variant());
    }

    /** Whether {@code id} names a {@link org.distill4j.train.Schedule} (as {@code Schedule.of} parses it). */
    private static boolean knownSchedule(String id) {
        try {
            org.distill4j.train.Schedule.of(id);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
