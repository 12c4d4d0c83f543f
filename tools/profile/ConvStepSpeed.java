import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import ai.djl.nn.*;
import ai.djl.training.*;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.*;

/**
 * Step time (forward, backward, DJL Adam) of CnnSpec(CHANNELS, kernel 3, pool 2, dense [512]) on
 * one fixed batch of 128 random 1x28x28 images (Fashion-MNIST's shape), STEPS steps after 3 of
 * warm-up: median, 10th and 90th percentile, and the final loss (oneDNN's instruction-set cap
 * changes its last digits). The cap is read when the process starts, so compare caps by
 * alternating processes.
 *
 * <p>Run: {@code ONEDNN_MAX_CPU_ISA=ALL|AVX2 OPT_OUT_TRACKING=true java -Dai.djl.offline=true
 * -Dai.djl.pytorch.num_threads=2 -Dai.djl.pytorch.num_interop_threads=1 -cp
 * distill-cli/target/distill.jar tools/profile/ConvStepSpeed.java STEPS CHANNELS} (e.g. 40 32,64).
 */
public class ConvStepSpeed {
    public static void main(String[] a) throws Exception {
        int steps = Integer.parseInt(a[0]);
        if (steps < 13) {
            throw new IllegalArgumentException("STEPS must be at least 13 (3 of warm-up, 10 measured)");
        }
        List<Integer> ch = Arrays.stream(a[1].split(",")).map(Integer::valueOf).toList();
        Random rng = new Random(1);
        float[] x = new float[128 * 784];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        float[] y = new float[128];
        for (int i = 0; i < 128; i++) y[i] = i % 10;
        Engine.getInstance().setRandomSeed(7);
        Block blk = new org.distill4j.model.CnnSpec(ch, 3, 2, List.of(512), null, 0, false).build(new long[] {1, 28, 28}, 10);
        try (Model model = Model.newInstance("p", "PyTorch")) {
            model.setBlock(blk);
            DefaultTrainingConfig cfg = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.001f)).build());
            try (Trainer t = model.newTrainer(cfg)) {
                t.initialize(new Shape(128, 1, 28, 28));
                double[] ms = new double[steps];
                float last = 0;
                for (int s = 0; s < steps; s++) {
                    long t0 = System.nanoTime();
                    try (NDManager sub = t.getManager().newSubManager()) {
                        NDArray in = sub.create(x, new Shape(128, 1, 28, 28));
                        NDArray lab = sub.create(y);
                        try (GradientCollector gc = t.newGradientCollector()) {
                            NDArray out = t.forward(new NDList(in)).head();
                            NDArray loss = t.getLoss().evaluate(new NDList(lab), new NDList(out));
                            last = loss.getFloat();
                            gc.backward(loss);
                        }
                        t.step();
                    }
                    ms[s] = (System.nanoTime() - t0) / 1e6;
                }
                double[] tail = Arrays.copyOfRange(ms, 3, steps);
                Arrays.sort(tail);
                System.out.printf("isa=%s ch=%s median step %.1f ms (p10 %.1f, p90 %.1f) loss %s%n",
                        System.getenv("ONEDNN_MAX_CPU_ISA"), ch, tail[tail.length / 2], tail[tail.length / 10],
                        tail[tail.length * 9 / 10], last);
            }
        }
    }
}
