package org.distill4j.lm.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.io.AtomicFiles;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.corpus.TextCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.FullKl;
import org.distill4j.lm.loss.SampledKd;
import org.distill4j.lm.loss.SequenceLoss;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.loss.TopKKl;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.model.SamplingConfig;
import org.distill4j.lm.token.ByteTokenizer;

/**
 * A small, fixed language-model distillation run on a JSONL corpus: train a teacher with
 * cross-entropy, then the same student architecture from scratch and distilled with full KL, top-k
 * KL and random-sampling KD, all for the same number of steps; evaluate bits per byte on validation
 * against the unigram baseline; measure generation speed with and without the KV cache; write
 * {@code metrics.json}, {@code results.md} and the models into the output directory. It is the
 * library behind {@code distill lm-demo}; the benchmark of issue 11 is a separate, larger thing.
 */
public final class LmDemo {

    /**
     * @param corpus the JSONL (or text) file to read
     * @param bytes how many bytes of documents to read
     * @param context window length
     * @param teacher teacher architecture
     * @param student student architecture
     * @param teacherSteps teacher training steps
     * @param studentSteps steps for every student
     * @param batchSize windows per step
     * @param seed split and training seed
     */
    public record Options(
            Path corpus,
            long bytes,
            int context,
            DecoderConfig teacher,
            DecoderConfig student,
            int teacherSteps,
            int studentSteps,
            int batchSize,
            long seed) {

        /** The quick version: ~300 KB, a 2x64 teacher and a 1x32 student, a few hundred steps. */
        public static Options quick(Path corpus) {
            return new Options(
                    corpus,
                    300_000,
                    64,
                    new DecoderConfig(258, 2, 64, 4, 64, 0.0, Positions.ROTARY, false),
                    new DecoderConfig(258, 1, 32, 2, 64, 0.0, Positions.ROTARY, false),
                    300,
                    200,
                    16,
                    42);
        }

        /** The default version: ~2 MB, a 4x128 teacher and a 2x48 student, ~1,500 steps. */
        public static Options standard(Path corpus) {
            return new Options(
                    corpus,
                    2_000_000,
                    128,
                    new DecoderConfig(258, 4, 128, 4, 128, 0.0, Positions.ROTARY, false),
                    new DecoderConfig(258, 2, 48, 4, 128, 0.0, Positions.ROTARY, false),
                    1500,
                    1500,
                    32,
                    42);
        }

        /** Returns a copy with other step counts. */
        public Options withSteps(int teacherSteps, int studentSteps) {
            return new Options(corpus, bytes, context, teacher, student, teacherSteps, studentSteps, batchSize, seed);
        }

        /** Returns a copy reading another number of bytes. */
        public Options withBytes(long b) {
            return new Options(corpus, b, context, teacher, student, teacherSteps, studentSteps, batchSize, seed);
        }
    }

    /**
     * One row of the results.
     *
     * @param model what it is
     * @param parameters parameter count
     * @param validationBitsPerByte bits per byte on validation
     * @param trainingTokensPerSecond training speed (student positions per second, teacher forward included)
     * @param sample a greedy continuation of a fixed prompt
     */
    public record Row(
            String model,
            long parameters,
            @JsonProperty("validation_bits_per_byte") double validationBitsPerByte,
            @JsonProperty("training_tokens_per_second") double trainingTokensPerSecond,
            String sample) {}

    /**
     * What the demo measured.
     *
     * @param unigramBitsPerByte the no-context baseline
     * @param rows teacher and students
     * @param generationTokensPerSecondCached student generation with the KV cache
     * @param generationTokensPerSecondUncached student generation recomputing the prefix
     */
    public record Result(
            @JsonProperty("unigram_bits_per_byte") double unigramBitsPerByte,
            List<Row> rows,

            @JsonProperty("generation_tokens_per_second_cached")
            double generationTokensPerSecondCached,

            @JsonProperty("generation_tokens_per_second_uncached")
            double generationTokensPerSecondUncached) {}

    private static final String PROMPT = "Python library for";

    private LmDemo() {}

    /**
     * Runs the demo, printing progress to {@code log}, and writes results and models into {@code out}.
     */
    public static Result run(Options o, Path out, PrintStream log) throws IOException {
        TextCorpus corpus = TextCorpus.read(
                List.of(o.corpus()), TextCorpus.Options.defaults().withMaxBytes(o.bytes()));
        CorpusSplit split = CorpusSplit.bySeed(corpus.documents(), o.seed(), 0.1, 0.0);
        TokenWindows train = TokenWindows.pack(split.train(), ByteTokenizer.INSTANCE, o.context());
        TokenWindows val = TokenWindows.pack(split.validation(), ByteTokenizer.INSTANCE, o.context());
        double unigram = UnigramBaseline.fit(train, 258).evaluate(val).bitsPerByte();
        log.printf(
                Locale.ROOT,
                "corpus: %,d documents, %,d bytes (%s); train %,d windows, validation %,d bytes;"
                        + " unigram %.3f bits/byte%n",
                corpus.documents().size(),
                corpus.bytes(),
                o.corpus(),
                train.size(),
                val.targetBytes(),
                unigram);
        Files.createDirectories(out);
        List<Row> rows = new ArrayList<>();
        double cached;
        double uncached;
        try (LanguageModel teacher = LanguageModel.create(o.teacher(), ByteTokenizer.INSTANCE, o.seed())) {
            LmTrainer.Result r = LmTrainer.train(
                    teacher,
                    train,
                    new TokenCrossEntropy(),
                    TeacherSignal.none(),
                    new LmTrainingConfig(o.teacherSteps(), o.batchSize(), 3e-3, 20, o.seed()));
            rows.add(row("teacher " + o.teacher(), teacher, r, val, log));
            teacher.save(out.resolve("teacher"));
            List<SequenceLoss> losses = List.of(
                    new TokenCrossEntropy(), new FullKl(1.0, 0.5), new TopKKl(5, 0.5), new SampledKd(12, 1.0, 0.5));
            double[] speed = null;
            for (SequenceLoss loss : losses) {
                try (LanguageModel student = LanguageModel.create(o.student(), ByteTokenizer.INSTANCE, o.seed() + 1)) {
                    LmTrainer.Result sr = LmTrainer.train(
                            student,
                            train,
                            loss,
                            teacher,
                            new LmTrainingConfig(o.studentSteps(), o.batchSize(), 3e-3, 20, o.seed() + 1));
                    String name = loss instanceof TokenCrossEntropy ? "student from scratch (CE)" : "student " + loss;
                    rows.add(row(name, student, sr, val, log));
                    student.save(out.resolve("student-"
                            + loss.toString()
                                    .replaceAll("[^A-Za-z0-9]+", "-")
                                    .replaceAll("-+$", "")
                                    .toLowerCase(Locale.ROOT)));
                    if (speed == null) {
                        speed = generationSpeed(student);
                    }
                }
            }
            cached = speed[0];
            uncached = speed[1];
        }
        log.printf(
                Locale.ROOT,
                "student generation: %.0f tokens/s with KV cache, %.0f recomputing the prefix%n",
                cached,
                uncached);
        Result result = new Result(unigram, rows, cached, uncached);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put(
                "options",
                Map.of(
                        "corpus",
                        o.corpus().toString(),
                        "bytes",
                        corpus.bytes(),
                        "corpus_sha256",
                        corpus.contentHash(),
                        "tokenizer",
                        ByteTokenizer.INSTANCE.identity().toString(),
                        "context",
                        o.context(),
                        "teacher_steps",
                        o.teacherSteps(),
                        "student_steps",
                        o.studentSteps(),
                        "batch_size",
                        o.batchSize(),
                        "seed",
                        o.seed()));
        metrics.put("result", result);
        AtomicFiles.write(out.resolve("metrics.json"), json.writeValueAsBytes(metrics));
        AtomicFiles.writeString(out.resolve("results.md"), markdown(o, result));
        return result;
    }

    private static Row row(String name, LanguageModel lm, LmTrainer.Result r, TokenWindows val, PrintStream log) {
        double bpb = Evaluation.of(lm, val, 32).bitsPerByte();
        String sample = new Generator(lm).complete(PROMPT, SamplingConfig.greedy(60));
        log.printf(
                Locale.ROOT,
                "%-40s %,9d params  loss %.3f -> %.3f  %,6.0f tok/s  validation %.3f bits/byte  \"%s%s\"%n",
                name,
                lm.parameterCount(),
                r.meanFirst(10),
                r.meanLast(10),
                r.tokensPerSecond(),
                bpb,
                PROMPT,
                sample.replace("\n", "\\n"));
        return new Row(name, lm.parameterCount(), bpb, r.tokensPerSecond(), PROMPT + sample);
    }

    private static double[] generationSpeed(LanguageModel lm) {
        // DJL on purpose: this measures what the KV cache saves, the same way in both modes.
        Generator g = new Generator(lm, Generator.Engine.DJL);
        int[] prompt = {ByteTokenizer.BOS, 'T', 'h', 'e'};
        SamplingConfig s = SamplingConfig.greedy(100).withStopAtEos(false);
        g.generate(prompt, SamplingConfig.greedy(10).withStopAtEos(false), true, false);
        long t0 = System.nanoTime();
        g.generate(prompt, s, true, false);
        long t1 = System.nanoTime();
        g.generate(prompt, s, false, false);
        long t2 = System.nanoTime();
        return new double[] {100 / ((t1 - t0) / 1e9), 100 / ((t2 - t1) / 1e9)};
    }

    private static String markdown(Options o, Result r) {
        StringBuilder sb = new StringBuilder("# Language-model distillation demo\n\n");
        sb.append(String.format(
                Locale.ROOT,
                "Corpus `%s`, first %,d bytes, 10%% validation by document (seed %d), "
                        + "byte tokenizer, windows of %d; teacher %d steps, every student %d steps of %d windows.%n%n",
                o.corpus(),
                o.bytes(),
                o.seed(),
                o.context(),
                o.teacherSteps(),
                o.studentSteps(),
                o.batchSize()));
        sb.append("| model | parameters | validation bits/byte | training tokens/s |\n| --- | ---: | ---: | ---: |\n");
        sb.append(String.format(Locale.ROOT, "| unigram baseline | – | %.3f | – |%n", r.unigramBitsPerByte()));
        for (Row row : r.rows()) {
            sb.append(String.format(
                    Locale.ROOT,
                    "| %s | %,d | %.3f | %,.0f |%n",
                    row.model(),
                    row.parameters(),
                    row.validationBitsPerByte(),
                    row.trainingTokensPerSecond()));
        }
        sb.append(String.format(
                Locale.ROOT,
                "%nStudent generation: %.0f tokens/s with the KV cache, %.0f recomputing "
                        + "the prefix (100 greedy tokens, batch 1).%n%nGreedy samples:%n%n",
                r.generationTokensPerSecondCached(),
                r.generationTokensPerSecondUncached()));
        for (Row row : r.rows()) {
            sb.append("- ")
                    .append(row.model())
                    .append(": `")
                    .append(row.sample().replace("\n", "\\n").replace("`", "'"))
                    .append("`\n");
        }
        return sb.toString();
    }
}
