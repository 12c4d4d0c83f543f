package org.distill4j.export;

import java.util.List;
import java.util.Map;

/** Small hand-built ONNX graphs for the error paths of ONNX teachers (public for other packages' tests). */
public final class OnnxFixtures {

    private OnnxFixtures() {}

    /** A graph from (batch, width) to (batch, 1, width): logits of the wrong rank. */
    public static byte[] rankThreeOutput(int width) {
        OnnxGraph g = new OnnxGraph();
        String axes = g.constant("axes", new long[] {1}, new long[] {1});
        g.named("out", "Unsqueeze", List.of("input", axes));
        return g.model("rank3", "input", new long[] {width}, "out", new long[] {1, width}, Map.of(), "test");
    }

    /** A graph with two inputs (x and y, each (batch, width)) returning x + y. */
    public static byte[] twoInputs(int width) {
        OnnxGraph g = new OnnxGraph();
        g.named("out", "Add", List.of("input", "second"));
        g.extraInput("second", new long[] {width});
        return g.model("two", "input", new long[] {width}, "out", new long[] {width}, Map.of(), "test");
    }
}
