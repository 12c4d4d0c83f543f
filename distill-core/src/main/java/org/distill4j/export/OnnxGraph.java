package org.distill4j.export;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds one ONNX model (opset {@value #OPSET}, IR version {@value #IR_VERSION}) node by node:
 * float32 and int64 initializers, one float32 input whose first dimension is the symbolic batch,
 * one float32 output. Field numbers are those of onnx.proto3 (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto). Not thread-safe; intermediate names are generated.
 */
final class OnnxGraph {

    /** The default-domain opset the graphs use (Gather/ReduceSum with axes as inputs, Erf). */
    static final int OPSET = 13;
    /** The IR version that goes with opset 13. */
    static final int IR_VERSION = 7;

    private static final int FLOAT = 1;
    private static final int INT64 = 7;
    private static final int ATTR_FLOAT = 1;
    private static final int ATTR_INT = 2;
    private static final int ATTR_INTS = 7;

    private final List<Proto> nodes = new ArrayList<>();
    private final List<Proto> initializers = new ArrayList<>();
    private final List<Proto> extraInputs = new ArrayList<>();
    private int counter;

    /** Declares a further float32 graph input of shape (batch, dims...), after the main one. */
    void extraInput(String name, long[] dims) {
        extraInputs.add(valueInfo(name, dims));
    }

    /** An attribute of a node: an int, a float or a list of ints. */
    record Attr(String name, Object value) {
        static Attr of(String name, long value) {
            return new Attr(name, value);
        }

        static Attr of(String name, float value) {
            return new Attr(name, value);
        }

        static Attr of(String name, long... values) {
            return new Attr(name, values);
        }
    }

    /** Adds a float32 initializer (a parameter) and returns its name. */
    String initializer(String name, long[] dims, float[] values) {
        Proto t = new Proto();
        for (long d : dims) {
            t.varint(1, d);
        }
        t.varint(2, FLOAT).string(8, name).bytes(9, Proto.littleEndian(values));
        initializers.add(t);
        return name;
    }

    /** Adds an int64 initializer (a constant such as an axes list) and returns its name. */
    String constant(String name, long[] dims, long[] values) {
        Proto t = new Proto();
        for (long d : dims) {
            t.varint(1, d);
        }
        t.varint(2, INT64).string(8, name).bytes(9, Proto.littleEndian(values));
        initializers.add(t);
        return name;
    }

    /** Adds a float32 scalar constant and returns its name. */
    String scalar(String name, float value) {
        return initializer(name, new long[0], new float[] {value});
    }

    /**
     * Adds a node with one output.
     *
     * @return the name of its output
     */
    String node(String opType, List<String> inputs, Attr... attrs) {
        return named(opType.toLowerCase(java.util.Locale.ROOT) + "_" + counter++, opType, inputs, attrs);
    }

    /**
     * Adds a node whose one output has the given name.
     *
     * @return {@code output}
     */
    String named(String output, String opType, List<String> inputs, Attr... attrs) {
        Proto n = new Proto();
        for (String in : inputs) {
            n.string(1, in);
        }
        n.string(2, output).string(3, output).string(4, opType);
        for (Attr a : attrs) {
            Proto p = new Proto().string(1, a.name());
            if (a.value() instanceof Long l) {
                p.varint(3, l).varint(20, ATTR_INT);
            } else if (a.value() instanceof Float f) {
                p.float32(2, f).varint(20, ATTR_FLOAT);
            } else {
                for (long v : (long[]) a.value()) {
                    p.varint(8, v);
                }
                p.varint(20, ATTR_INTS);
            }
            n.message(5, p);
        }
        nodes.add(n);
        return output;
    }

    String node(String opType, String input, Attr... attrs) {
        return node(opType, List.of(input), attrs);
    }

    /**
     * Returns the serialised ModelProto.
     *
     * @param input name of the graph input; its shape is (batch, inputDims...)
     * @param output name of the tensor that is the graph output; its shape is (batch, outputDims...)
     * @param metadata string properties recorded in the model (metadata_props)
     */
    byte[] model(
            String graphName,
            String input,
            long[] inputDims,
            String output,
            long[] outputDims,
            Map<String, String> metadata,
            String producerVersion) {
        Proto graph = new Proto();
        for (Proto n : nodes) {
            graph.message(1, n);
        }
        graph.string(2, graphName);
        for (Proto t : initializers) {
            graph.message(5, t);
        }
        graph.message(11, valueInfo(input, inputDims));
        for (Proto in : extraInputs) {
            graph.message(11, in);
        }
        graph.message(12, valueInfo(output, outputDims));
        Proto model = new Proto()
                .varint(1, IR_VERSION)
                .string(2, "distill4j")
                .string(3, producerVersion)
                .message(7, graph)
                .message(8, new Proto().string(1, "").varint(2, OPSET));
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            model.message(14, new Proto().string(1, e.getKey()).string(2, e.getValue()));
        }
        return model.toByteArray();
    }

    private static Proto valueInfo(String name, long[] dims) {
        Proto shape = new Proto().message(1, new Proto().string(2, "batch"));
        for (long d : dims) {
            shape.message(1, new Proto().varint(1, d));
        }
        Proto tensor = new Proto().varint(1, FLOAT).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensor));
    }
}
