package org.distill4j.export;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import java.util.List;
import java.util.Map;
import org.distill4j.model.Activation;
import org.distill4j.model.BagSpec;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.SavedModel;

/**
 * Writes a distill4j model (one of the built-in specs) as an ONNX graph computing the same logits
 * in inference mode: input {@value #INPUT} float32 (batch, featureShape...), output {@value
 * #OUTPUT} float32 (batch, classes). Dropout is omitted (it is the identity at inference); batch
 * norm uses the running statistics. The graph is derived from the spec and filled with the
 * parameters of the model's blocks, taken in block order; a block that does not match the spec is
 * an error, never a silent mismatch.
 */
public final class OnnxExporter {

    /** Name of the graph input. */
    public static final String INPUT = "input";
    /** Name of the graph output. */
    public static final String OUTPUT = "logits";

    /** DJL's BatchNorm default, which CnnSpec uses. */
    private static final float BATCH_NORM_EPSILON = 1e-5f;

    private final OnnxGraph g = new OnnxGraph();
    private final LayerParameters params;
    private int counter;

    private OnnxExporter(SavedModel model) {
        this.params = new LayerParameters(model.model().getBlock(), model.spec());
    }

    /**
     * Returns the ONNX model (serialised ModelProto) of {@code model}.
     *
     * @param model a loaded model whose block is initialised
     * @param metadata string properties to record in the model's metadata_props
     * @throws IllegalArgumentException if the model's blocks do not match its spec
     */
    public static byte[] toOnnx(SavedModel model, Map<String, String> metadata) {
        OnnxExporter e = new OnnxExporter(model);
        String x = INPUT;
        ModelSpec spec = model.spec();
        if (spec instanceof MlpSpec mlp) {
            x = e.g.node("Flatten", x, OnnxGraph.Attr.of("axis", 1L));
            x = e.dense(x, mlp.hidden(), mlp.activation());
        } else if (spec instanceof CnnSpec cnn) {
            for (int i = 0; i < cnn.channels().size(); i++) {
                x = e.conv(x, cnn.kernel());
                if (cnn.batchNorm()) {
                    x = e.batchNorm(x);
                }
                x = e.activation(x, cnn.activation());
                if (cnn.pool() > 1) {
                    long p = cnn.pool();
                    x = e.g.node(
                            "MaxPool", x, OnnxGraph.Attr.of("kernel_shape", p, p), OnnxGraph.Attr.of("strides", p, p));
                }
            }
            x = e.g.node("Flatten", x, OnnxGraph.Attr.of("axis", 1L));
            x = e.dense(x, cnn.dense(), cnn.activation());
        } else if (spec instanceof BagSpec bag) {
            x = e.embeddingBag(x, bag.buckets());
            x = e.dense(x, bag.hidden(), bag.activation());
        } else {
            throw new IllegalArgumentException("cannot export architecture " + spec.describe()
                    + ": export supports the built-in mlp, cnn and bag specs");
        }
        x = e.linear(x);
        e.params.finish();
        // An Identity gives the logits their public name, whatever node computed them.
        e.g.named(OUTPUT, "Identity", List.of(x));
        long[] featureShape = model.descriptor().featureShape();
        return e.g.model(
                "distill4j", INPUT, featureShape, OUTPUT, new long[] {model.numClasses()}, metadata, producerVersion());
    }

    private static String producerVersion() {
        String v = OnnxExporter.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private String dense(String x, List<Integer> widths, Activation activation) {
        for (int ignored : widths) {
            x = activation(linear(x), activation);
        }
        return x;
    }

    private String linear(String x) {
        Map<String, NDArray> p = next(Linear.class);
        // DJL's Linear weight is (out, in): y = x W^T + b, which is Gemm with transB = 1.
        return g.node("Gemm", List.of(x, param(p, "weight"), param(p, "bias")), OnnxGraph.Attr.of("transB", 1L));
    }

    private String conv(String x, int kernel) {
        Map<String, NDArray> p = next(Conv2d.class);
        long k = kernel;
        long pad = kernel / 2;
        return g.node(
                "Conv",
                List.of(x, param(p, "weight"), param(p, "bias")),
                OnnxGraph.Attr.of("kernel_shape", k, k),
                OnnxGraph.Attr.of("pads", pad, pad, pad, pad),
                OnnxGraph.Attr.of("strides", 1L, 1L));
    }

    private String batchNorm(String x) {
        Map<String, NDArray> p = next(BatchNorm.class);
        return g.node(
                "BatchNormalization",
                List.of(x, param(p, "gamma"), param(p, "beta"), param(p, "runningMean"), param(p, "runningVar")),
                OnnxGraph.Attr.of("epsilon", BATCH_NORM_EPSILON));
    }

    /** The same computation as org.distill4j.model.EmbeddingBag, step by step. */
    private String embeddingBag(String x, int buckets) {
        Map<String, NDArray> p = next(null);
        String table = param(p, "embedding");
        String ids = g.node("Cast", x, OnnxGraph.Attr.of("to", 7L));
        String zero = g.constant("int_zero", new long[0], new long[] {0});
        String one = g.constant("int_one", new long[0], new long[] {1});
        String mask = g.node("Cast", g.node("Greater", List.of(ids, zero)), OnnxGraph.Attr.of("to", 1L));
        String rows = g.node(
                "Mod",
                List.of(
                        g.node("Max", List.of(g.node("Sub", List.of(ids, one)), zero)),
                        g.constant("buckets", new long[0], new long[] {buckets})));
        String vectors = g.node("Gather", List.of(table, rows), OnnxGraph.Attr.of("axis", 0L));
        String axis1 = g.constant("axis_1", new long[] {1}, new long[] {1});
        String axis2 = g.constant("axis_2", new long[] {1}, new long[] {2});
        String masked = g.node("Mul", List.of(vectors, g.node("Unsqueeze", List.of(mask, axis2))));
        String sum = g.node("ReduceSum", List.of(masked, axis1), OnnxGraph.Attr.of("keepdims", 0L));
        String count = g.node(
                "Max",
                List.of(
                        g.node("ReduceSum", List.of(mask, axis1), OnnxGraph.Attr.of("keepdims", 1L)),
                        g.scalar("float_one", 1f)));
        return g.node("Div", List.of(sum, count));
    }

    private String activation(String x, Activation a) {
        return switch (a) {
            case RELU -> g.node("Relu", x);
            case TANH -> g.node("Tanh", x);
            case SIGMOID -> g.node("Sigmoid", x);
            // Exact (erf) GELU, as PyTorch's default; ONNX's Gelu op needs opset 20.
            case GELU -> {
                String erf = g.node("Erf", g.node("Div", List.of(x, g.scalar("sqrt2_" + x, (float) Math.sqrt(2)))));
                String onePlus = g.node("Add", List.of(erf, g.scalar("one_" + x, 1f)));
                yield g.node("Mul", List.of(g.node("Mul", List.of(x, onePlus)), g.scalar("half_" + x, 0.5f)));
            }
        };
    }

    private Map<String, NDArray> next(Class<? extends Block> expected) {
        return params.next(expected);
    }

    private String param(Map<String, NDArray> p, String name) {
        NDArray a = LayerParameters.get(p, name);
        return g.initializer("p" + counter++ + "_" + name, a.getShape().getShape(), a.toFloatArray());
    }
}
