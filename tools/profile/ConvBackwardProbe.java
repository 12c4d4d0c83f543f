import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.*;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.*;
import org.distill4j.model.CnnSpec;

/**
 * DJL and PyTorch alone (no distill4j trainer, loss or optimiser): trains CnnSpec(CHANNELS, kernel
 * 3, pool 2, dense [16]) on one fixed batch of 32 random 1x8x8 images for 5 Adam steps from the
 * same seed, RUNS times in one JVM, and counts the distinct final losses (NaN included) and the
 * runs whose first convolution's gradient differed from run 0's at some step. Every run should
 * agree; with PyTorch 2.7.1 on an AVX-512 CPU and no ONEDNN_MAX_CPU_ISA they did not for channels
 * whose second entry's input (the first entry) is not a multiple of 8 (docs/engine.md).
 *
 * <p>Run: {@code ONEDNN_MAX_CPU_ISA=ALL|AVX2 OPT_OUT_TRACKING=true java -Dai.djl.offline=true
 * -Dai.djl.pytorch.num_threads=2 -Dai.djl.pytorch.num_interop_threads=1 -cp
 * distill-cli/target/distill.jar tools/profile/ConvBackwardProbe.java RUNS CHANNELS [f64|f32
 * [separable]]} (e.g. 200
 * 4,8). Run 0 prints its first step's first-convolution gradient; {@code f64} computes that step
 * in double precision, which oneDNN does not run (PyTorch's own kernels): the reference.
 */
public class ConvBackwardProbe {
    public static void main(String[] a) throws Exception {
        int runs = Integer.parseInt(a[0]);
        List<Integer> channels = Arrays.stream(a[1].split(",")).map(Integer::valueOf).toList();
        // float64: oneDNN has no double-precision convolution, so PyTorch runs its own kernels,
        // a reference the float32 results must agree with to about 6 digits.
        boolean f64 = a.length > 2 && a[2].equals("f64");
        boolean separable = a.length > 3 && a[3].equals("separable");
        ai.djl.ndarray.types.DataType type =
                f64 ? ai.djl.ndarray.types.DataType.FLOAT64 : ai.djl.ndarray.types.DataType.FLOAT32;
        Random rng = new Random(1);
        float[] x = new float[32 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        float[] y = new float[32];
        for (int i = 0; i < 32; i++) {
            y[i] = i % 3;
        }
        Map<String, Integer> losses = new TreeMap<>();
        List<Integer> reference = null;
        int gradientsDiffered = 0;
        for (int r = 0; r < runs; r++) {
            Engine.getInstance().setRandomSeed(7);
            Block block = new CnnSpec(channels, 3, 2, List.of(16), null, 0, false, separable).build(new long[] {1, 8, 8}, 3);
            List<Integer> firstConvGradients = new ArrayList<>();
            float last = 0;
            try (Model model = Model.newInstance("probe", "PyTorch")) {
                model.setBlock(block);
                model.setDataType(type);
                DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build());
                try (Trainer trainer = model.newTrainer(config)) {
                    trainer.initialize(new Shape(32, 1, 8, 8));
                    if (f64) {
                        // The float32 run's initial values, widened: a fresh float32 block drawn from
                        // the same seed, copied into this float64 one.
                        Engine.getInstance().setRandomSeed(7);
                        Block narrow = new CnnSpec(channels, 3, 2, List.of(16), null, 0, false, separable)
                                .build(new long[] {1, 8, 8}, 3);
                        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                            narrow.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, new Shape(32, 1, 8, 8));
                            var from = narrow.getParameters().values();
                            var to = block.getParameters().values();
                            for (int i = 0; i < from.size(); i++) {
                                float[] v = from.get(i).getArray().toFloatArray();
                                double[] d = new double[v.length];
                                for (int j = 0; j < v.length; j++) {
                                    d[j] = v[j];
                                }
                                to.get(i).getArray().set(java.nio.DoubleBuffer.wrap(d));
                            }
                        }
                    }
                    NDArray firstWeight = block.getParameters().get(0).getValue().getArray();
                    for (int step = 0; step < 5; step++) {
                        try (NDManager batch = trainer.getManager().newSubManager()) {
                            NDArray in = batch.create(x, new Shape(32, 1, 8, 8)).toType(type, false);
                            NDArray labels = batch.create(y).toType(type, false);
                            try (GradientCollector gc = trainer.newGradientCollector()) {
                                NDArray out = trainer.forward(new NDList(in)).head();
                                NDArray loss = trainer.getLoss().evaluate(new NDList(labels), new NDList(out));
                                last = loss.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).getFloat();
                                gc.backward(loss);
                            }
                            if (r == 0 && step == 0) {
                                // The first step's gradient, to compare across caps and with float64.
                                float[] g = firstWeight.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                                        .toFloatArray();
                                double norm = 0;
                                for (float v : g) {
                                    norm += (double) v * v;
                                }
                                System.out.printf("step-0 first-convolution gradient: norm %.7g, first values %s%n",
                                        Math.sqrt(norm), Arrays.toString(Arrays.copyOf(g, 3)));
                            }
                            if (f64 && step == 0) {
                                // DJL's Trainer.step reads gradients as float32; the reference stops here.
                                break;
                            }
                            firstConvGradients.add(Arrays.hashCode(
                                    firstWeight.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray()));
                            trainer.step();
                        }
                    }
                }
            }
            losses.merge(Float.toString(last), 1, Integer::sum);
            if (reference == null) {
                reference = firstConvGradients;
            } else if (!reference.equals(firstConvGradients)) {
                gradientsDiffered++;
            }
        }
        System.out.printf("ONEDNN_MAX_CPU_ISA=%s %s channels=%s runs=%d: %d distinct final losses %s; first-convolution "
                        + "gradients differed from run 0's in %d runs%n",
                System.getenv("ONEDNN_MAX_CPU_ISA"), type, channels, runs, losses.size(), losses, gradientsDiffered);
    }
}
