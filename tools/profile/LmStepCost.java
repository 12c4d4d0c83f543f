import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.distill4j.lm.cache.TopKCache;
import org.distill4j.lm.corpus.CorpusSplit;
import org.distill4j.lm.corpus.TextCorpus;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.loss.FullKl;
import org.distill4j.lm.loss.TokenCrossEntropy;
import org.distill4j.lm.loss.TopKKl;
import org.distill4j.lm.model.DecoderConfig;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.Positions;
import org.distill4j.lm.model.SamplingConfig;
import org.distill4j.lm.teacher.LocalLmTeacher;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.train.LmTrainer;
import org.distill4j.lm.train.LmTrainingConfig;
import org.distill4j.lm.train.TeacherSignal;

/**
 * The speed side of the language-model benchmark (docs/lm-benchmarks.md), in one process so that
 * a change of machine load hits every measurement alike: blocks that rotate through
 *   ce      the student (2 x 48) trained with cross-entropy alone, batch 32 x 128;
 *   topk20  the same student distilled from a top-20 cache on disk (TopKCache, memory-mapped);
 *   full    the same student distilled from the in-process teacher's full distribution;
 *   teacher the teacher (4 x 128) trained with cross-entropy;
 *   matmul  a 2048 x 2048 float32 matrix product (DJL, PyTorch), 2 per block;
 *   gen-s / gen-t  greedy batch-1 generation with the KV cache, student and teacher, 256 tokens.
 * Each model keeps training across blocks (its own Adam restarts each block; speed only). The
 * top-20 cache is built in-process over the windows of the first 300 training documents (the same
 * file format and reading path as the benchmark's HTTP caches). Prints per-block rates, then
 * median and range per measurement, the top-k/CE and full/CE step costs per block, the training
 * GFLOP/s (6 x parameters per token, and with attention 6 N + 12 L T C) against the matmul's, and
 * student/teacher generation speed.
 *
 * <p>Run (from the repository root, after building the CLI jar; TEACHER_DIR a saved LM):
 * <pre>
 *   OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
 *     -Dai.djl.pytorch.num_interop_threads=1 -cp distill-cli/target/distill.jar tools/profile/LmStepCost.java \
 *     TEACHER_DIR [blocks=7 (the first is warm-up)] [student steps per block=16]
 * </pre>
 */
public class LmStepCost {
    static final int T = 128, B = 32;

    public static void main(String[] args) throws Exception {
        Path teacherDir = Path.of(args[0]);
        int blocks = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        Path corpusFile = Path.of("../shared/data/debian-descriptions/train.jsonl.gz");
        TextCorpus corpus = TextCorpus.read(List.of(corpusFile), TextCorpus.Options.defaults().withMaxBytes(2_000_000));
        CorpusSplit split = CorpusSplit.bySeed(corpus.documents(), 42, 0.05, 0.05);
        ByteTokenizer tok = ByteTokenizer.INSTANCE;
        TokenWindows windows = TokenWindows.pack(split.train().subList(0, 300), tok, T);
        System.out.printf(Locale.ROOT, "windows: %d of %d (first 300 training documents)%n", windows.size(), T);
        String[] names = {"ce", "topk20", "full", "teacher", "matmul", "gen-s", "gen-t"};
        double[][] rate = new double[names.length][blocks - 1];
        Path cacheFile = Files.createTempFile("lmstepcost", ".bin");
        Files.delete(cacheFile);
        try (LanguageModel teacher = LanguageModel.load(teacherDir);
                LanguageModel ce = student(tok);
                LanguageModel topk = student(tok);
                LanguageModel full = student(tok);
                NDManager mm = NDManager.newBaseManager()) {
            LocalLmTeacher lt = LocalLmTeacher.of(teacher, "teacher");
            long t0 = System.nanoTime();
            TopKCache.build(cacheFile, lt, windows, 20, 16, "lmstepcost");
            System.out.printf(Locale.ROOT, "top-20 cache of %,d positions built in %.1f s (%,d bytes)%n",
                    (long) windows.size() * T, (System.nanoTime() - t0) / 1e9, Files.size(cacheFile));
            NDArray a = mm.randomNormal(new Shape(2048, 2048));
            NDArray b = mm.randomNormal(new Shape(2048, 2048));
            int n = 256;
            int[] prompt = {ByteTokenizer.BOS, 'T', 'h', 'e'};
            try (TopKCache cache = TopKCache.open(cacheFile, "lmstepcost")) {
                TeacherSignal cached = TeacherSignal.cached(cache, T);
                FullKl fullKl = new FullKl(1, 0.5);
                TeacherSignal inProcess = TeacherSignal.inProcess(lt, fullKl, tok.identity(), T);
                for (int blk = 0; blk < blocks; blk++) {
                    long seed = 1000 + blk;
                    LmTrainingConfig sc = new LmTrainingConfig(steps, B, 3e-3, 1, seed);
                    double[] r = new double[names.length];
                    r[0] = LmTrainer.train(ce, windows, new TokenCrossEntropy(), TeacherSignal.none(), sc)
                            .tokensPerSecond();
                    r[1] = LmTrainer.train(topk, windows, new TopKKl(20, 0.5), cached, sc).tokensPerSecond();
                    r[2] = LmTrainer.train(full, windows, fullKl, inProcess, sc).tokensPerSecond();
                    r[3] = LmTrainer.train(teacher, windows, new TokenCrossEntropy(), TeacherSignal.none(),
                                    new LmTrainingConfig(Math.max(2, steps / 4), B, 1e-4, 1, seed))
                            .tokensPerSecond();
                    long m0 = System.nanoTime();
                    for (int i = 0; i < 2; i++) {
                        try (NDManager sub = mm.newSubManager()) {
                            NDArray c = a.matMul(b);
                            c.attach(sub);
                            c.getFloat(0, 0);
                        }
                    }
                    r[4] = 2 * 2.0 * 2048 * 2048 * 2048 / ((System.nanoTime() - m0) / 1e9) / 1e9;
                    r[5] = genRate(ce, prompt, n);
                    r[6] = genRate(teacher, prompt, n);
                    System.out.printf(Locale.ROOT, "block %d%s load %s:", blk, blk == 0 ? " (warm-up)" : "",
                            Files.readString(Path.of("/proc/loadavg")).substring(0, 14));
                    for (int i = 0; i < names.length; i++) {
                        System.out.printf(Locale.ROOT, " %s %,.0f", names[i], r[i]);
                        if (blk > 0) {
                            rate[i][blk - 1] = r[i];
                        }
                    }
                    System.out.println();
                }
            }
            long ns = ce.parameterCount(), nt = teacher.parameterCount();
            DecoderConfig sc = ce.config(), tc = teacher.config();
            System.out.printf(Locale.ROOT, "%nparameters: student %,d, teacher %,d (%.1fx)%n", ns, nt, (double) nt / ns);
            System.out.println("units: tokens/s for training and generation, GFLOP/s for matmul; median [min, max] of "
                    + (blocks - 1) + " blocks");
            for (int i = 0; i < names.length; i++) {
                System.out.printf(Locale.ROOT, "%-8s %s%n", names[i], stats(rate[i], 1));
            }
            System.out.printf(Locale.ROOT, "step cost vs CE (CE tokens/s / variant tokens/s, per block): topk20 %s, full %s%n",
                    stats(ratio(rate[0], rate[1]), 3), stats(ratio(rate[0], rate[2]), 3));
            System.out.printf(Locale.ROOT, "student/teacher generation tokens/s (per block): %s%n",
                    stats(ratio(rate[5], rate[6]), 2));
            double fs = 6.0 * ns, fsa = fs + 12.0 * sc.layers() * T * sc.width();
            double ft = 6.0 * nt, fta = ft + 12.0 * tc.layers() * T * tc.width();
            double mmed = median(rate[4]);
            System.out.printf(Locale.ROOT,
                    "training GFLOP/s (6N | 6N + 12LTC per token): student CE %.2f | %.2f, teacher CE %.2f | %.2f; "
                            + "matmul %.1f; shares %.1f%% | %.1f%% (student), %.1f%% | %.1f%% (teacher)%n",
                    fs * median(rate[0]) / 1e9, fsa * median(rate[0]) / 1e9,
                    ft * median(rate[3]) / 1e9, fta * median(rate[3]) / 1e9, mmed,
                    100 * fs * median(rate[0]) / 1e9 / mmed, 100 * fsa * median(rate[0]) / 1e9 / mmed,
                    100 * ft * median(rate[3]) / 1e9 / mmed, 100 * fta * median(rate[3]) / 1e9 / mmed);
        } finally {
            Files.deleteIfExists(cacheFile);
        }
    }

    static LanguageModel student(ByteTokenizer tok) {
        return LanguageModel.create(new DecoderConfig(258, 2, 48, 4, T, 0.0, Positions.ROTARY, false), tok, 2);
    }

    static double genRate(LanguageModel lm, int[] prompt, int n) {
        Generator g = new Generator(lm);
        g.generate(prompt, SamplingConfig.greedy(16).withStopAtEos(false), true, false);
        long t0 = System.nanoTime();
        g.generate(prompt, SamplingConfig.greedy(n).withStopAtEos(false), true, false);
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    static double[] ratio(double[] num, double[] den) {
        double[] r = new double[num.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = num[i] / den[i];
        }
        return r;
    }

    static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static String stats(double[] x, int decimals) {
        double[] s = x.clone();
        Arrays.sort(s);
        String f = "%,." + decimals + "f";
        return String.format(Locale.ROOT, f + " [" + f + ", " + f + "]", median(x), s[0], s[s.length - 1]);
    }
}
