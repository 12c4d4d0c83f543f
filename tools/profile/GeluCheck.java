import ai.djl.engine.Engine;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import ai.djl.training.GradientCollector;
import java.util.*;

/**
 * GELU (DJL's Activation.gelu, oneDNN's eltwise kernel in float32) forward and backward against
 * float64 (PyTorch's own kernel), for the language models' activation shapes and two odd ones:
 * relative L2 errors. Run: {@code ONEDNN_MAX_CPU_ISA=ALL|AVX2|SSE41 OPT_OUT_TRACKING=true java
 * -Dai.djl.offline=true -cp distill-cli/target/distill.jar tools/profile/GeluCheck.java}.
 */
public class GeluCheck {
    public static void main(String[] a) {
        Random rng = new Random(3);
        for (long[] dims : new long[][] {{32, 128, 48}, {32, 128, 512}, {7, 13, 19}, {3, 5}}) {
            Shape shape = new Shape(dims);
            float[] x = new float[(int) shape.size()];
            for (int i = 0; i < x.length; i++) x[i] = (float) (3 * rng.nextGaussian());
            double[] r32 = run(x, shape, DataType.FLOAT32), r64 = run(x, shape, DataType.FLOAT64);
            System.out.printf("isa=%s %s forward %.2e backward %.2e%n", System.getenv("ONEDNN_MAX_CPU_ISA"), shape,
                    err(r32, r64, 0, x.length), err(r32, r64, x.length, 2 * x.length));
        }
    }
    static double err(double[] a, double[] b, int from, int to) {
        double d = 0, n = 0;
        for (int i = from; i < to; i++) { d += (a[i] - b[i]) * (a[i] - b[i]); n += b[i] * b[i]; }
        return Math.sqrt(d / n);
    }
    static double[] run(float[] x, Shape shape, DataType type) {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray in = m.create(x, shape).toType(type, false);
            in.setRequiresGradient(true);
            NDArray out;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                out = ai.djl.nn.Activation.gelu(in);
                gc.backward(out.mul(out).sum());
            }
            float[] f = out.toType(DataType.FLOAT32, false).toFloatArray();
            float[] g = in.getGradient().toType(DataType.FLOAT32, false).toFloatArray();
            double[] r = new double[f.length * 2];
            for (int i = 0; i < f.length; i++) { r[i] = f[i]; r[f.length + i] = g[i]; }
            return r;
        }
    }
}
