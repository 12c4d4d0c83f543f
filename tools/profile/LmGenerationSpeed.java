import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.SamplingConfig;

/**
 * Generation speed of a student against its teacher (docs/lm-benchmarks.md, "Generation"), in one
 * process and in interleaved blocks so that a change of machine load hits both alike: each block
 * generates, for every batch size B, B greedy sequences of N new tokens with the KV cache from the
 * same prompt (BOS and "The" in the model's tokenizer), first with the student, then with the teacher (B = 1 is one sequence at a
 * time, the latency case; larger B is throughput, as a server batching requests or sequence-level
 * KD generating its transfer text). Prints per-block tokens/s, then per B the median [min, max]
 * over the blocks after the first (warm-up) for each model and for the per-block ratio
 * student / teacher.
 *
 * <pre>
 *   OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
 *     -Dai.djl.pytorch.num_interop_threads=1 -cp distill-cli/target/distill.jar tools/profile/LmGenerationSpeed.java \
 *     STUDENT_DIR TEACHER_DIR [blocks=6] [new tokens=128] [batch sizes=1,8,32,128] [engines=DJL]
 * </pre>
 *
 * <p>{@code engines} is a comma-separated list of {@link Generator.Engine} names (DJL, JVM, AUTO);
 * every engine runs every batch size in each block.
 */
public class LmGenerationSpeed {

    public static void main(String[] args) throws Exception {
        Path studentDir = Path.of(args[0]);
        Path teacherDir = Path.of(args[1]);
        int blocks = args.length > 2 ? Integer.parseInt(args[2]) : 6;
        int n = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int[] batches = Arrays.stream((args.length > 4 ? args[4] : "1,8,32,128").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        Generator.Engine[] engines = Arrays.stream((args.length > 5 ? args[5] : "DJL").split(","))
                .map(Generator.Engine::valueOf)
                .toArray(Generator.Engine[]::new);
        try (LanguageModel s = LanguageModel.load(studentDir);
                LanguageModel t = LanguageModel.load(teacherDir)) {
            System.out.printf(Locale.ROOT, "student %s; teacher %s (%.1fx the parameters)%n", s,
                    t, (double) t.parameterCount() / s.parameterCount());
            int runs = engines.length * batches.length;
            double[][][] rate = new double[runs][2][blocks];
            for (int b = 0; b < blocks; b++) {
                StringBuilder line = new StringBuilder("block " + b + (b == 0 ? " (warm-up)" : "") + ":");
                for (int i = 0; i < runs; i++) {
                    Generator.Engine e = engines[i / batches.length];
                    int batch = batches[i % batches.length];
                    rate[i][0][b] = rate(s, e, batch, n);
                    rate[i][1][b] = rate(t, e, batch, n);
                    line.append(String.format(Locale.ROOT, "  %s B=%d student %,.0f teacher %,.0f", e, batch,
                            rate[i][0][b], rate[i][1][b]));
                }
                System.out.println(line);
            }
            System.out.println("tokens/s, median [min, max] of " + (blocks - 1) + " blocks; ratio per block");
            for (int i = 0; i < runs; i++) {
                double[] st = Arrays.copyOfRange(rate[i][0], 1, blocks);
                double[] te = Arrays.copyOfRange(rate[i][1], 1, blocks);
                double[] r = new double[st.length];
                for (int j = 0; j < r.length; j++) {
                    r[j] = st[j] / te[j];
                }
                System.out.printf(Locale.ROOT, "%-4s B=%-4d student %s  teacher %s  student/teacher %s%n",
                        engines[i / batches.length], batches[i % batches.length], stats(st, 0), stats(te, 0),
                        stats(r, 2));
            }
        }
    }

    static double rate(LanguageModel lm, Generator.Engine engine, int batch, int n) {
        Generator g = new Generator(lm, engine);
        int[] prompt = g.prompt("The");
        List<int[]> prompts = Collections.nCopies(batch, prompt);
        List<SamplingConfig> samplings = Collections.nCopies(batch, SamplingConfig.greedy(n).withStopAtEos(false));
        long t0 = System.nanoTime();
        g.generate(prompts, samplings, true, false);
        return (double) batch * n / ((System.nanoTime() - t0) / 1e9);
    }

    static String stats(double[] x, int decimals) {
        double[] s = x.clone();
        Arrays.sort(s);
        double med = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        String f = "%,." + decimals + "f";
        return String.format(Locale.ROOT, f + " [" + f + ", " + f + "]", med, s[0], s[s.length - 1]);
    }
}
