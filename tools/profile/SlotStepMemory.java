import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.distill4j.lm.model.Decoder;
import org.distill4j.lm.model.KvCache;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.SlotKvCache;
import org.distill4j.model.InferenceThreads;

/**
 * Step time and resident memory of slot-cache generation on a thread that is not the engine's
 * (docs/engine.md, grad mode): on a new thread, with or without {@link InferenceThreads#prepare()},
 * REPS blocks each load 8 prompts of 8-56 tokens into slots of a 64-slot cache and run 64 steps of
 * those 8 rows; prints per block the mean step time, resident memory and the arrays the model's
 * manager holds. Cap the Java heap (e.g. -Xmx96m) to see native memory alone.
 *
 * <pre>
 *   OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Xmx96m -Dai.djl.offline=true \
 *     -Dai.djl.pytorch.num_threads=2 -Dai.djl.pytorch.num_interop_threads=1 -cp distill-cli/target/distill.jar \
 *     tools/profile/SlotStepMemory.java MODEL_DIR prepare|bare [reps=6]
 * </pre>
 */
public class SlotStepMemory {

    private static long residentMb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }

    public static void main(String[] args) throws Exception {
        boolean prepare = args[1].equals("prepare");
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 6;
        int n = 8;
        int steps = 64;
        try (LanguageModel lm = LanguageModel.load(Path.of(args[0]))) {
            Thread t = new Thread(() -> {
                if (prepare) {
                    InferenceThreads.prepare();
                }
                Decoder d = lm.decoder();
                NDManager root = lm.model().getNDManager();
                try (NDManager own = root.newSubManager();
                        SlotKvCache slots = d.newSlotCache(own, 64)) {
                    ParameterStore ps = new ParameterStore(own, false);
                    for (int rep = 0; rep < reps; rep++) {
                        int[] used = new int[n];
                        for (int i = 0; i < n; i++) {
                            used[i] = (i * 7 + rep) % 64;
                            try (NDManager p = root.newSubManager();
                                    KvCache prefix = d.newCache(root)) {
                                Shape prompt = new Shape(1, 8 + (i * 13) % 49);
                                d.forward(new ParameterStore(p, false), p.zeros(prompt, DataType.INT32), prefix, false);
                                slots.load(used[i], prefix);
                            }
                        }
                        long t0 = System.nanoTime();
                        for (int s = 0; s < steps; s++) {
                            try (NDManager step = own.newSubManager()) {
                                d.forward(ps, step.create(new int[n], new Shape(n, 1)), slots, used)
                                        .toFloatArray();
                            }
                        }
                        long t1 = System.nanoTime();
                        System.out.printf(
                                Locale.ROOT,
                                "%s block %d: %.2f ms/step, resident %d MB, arrays %d%n",
                                prepare ? "prepared" : "bare",
                                rep,
                                (t1 - t0) / 1e6 / steps,
                                residentMb(),
                                root.getManagedArrays().size());
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            t.start();
            t.join();
        }
    }
}
