package org.distill4j.audit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.ExampleSet;
import org.distill4j.teacher.http.CollectionResult;
import org.distill4j.teacher.http.HttpTeacherConfig;
import org.distill4j.teacher.http.LabelCollector;

/**
 * A model behind an HTTP API, queried through the project's {@link LabelCollector} (so its rate
 * limits, retries, key handling and journal apply). Each call collects into its own journal
 * directory under the work directory, so an interrupted audit that is rerun with the same seed
 * asks nothing twice.
 */
public final class HttpModel implements AuditedModel {

    private final String name;
    private final LabelCollector collector;
    private final Path workDir;
    private long queries;
    private int calls;

    /**
     * Creates the model.
     *
     * @param name a short name for reports (the endpoint; never holds the key)
     * @param config the endpoint, protocol and key
     * @param workDir where this model's journals are kept
     */
    public HttpModel(String name, HttpTeacherConfig config, Path workDir) {
        this.name = name;
        this.collector = new LabelCollector(config);
        this.workDir = workDir;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> classNames() {
        return null;
    }

    @Override
    public long[] featureShape() {
        return null;
    }

    @Override
    public float[][] logProbabilities(ExampleSet probes) throws IOException {
        CollectionResult r = collector.collect(probes, workDir.resolve("call-" + (calls++)), (t, d, f) -> {});
        if (!r.complete()) {
            CollectionResult.FailedRow first = r.failedRows().get(0);
            throw new IOException("model " + name + ": " + r.failedRows().size() + " of " + probes.size()
                    + " probes failed (first: row " + first.row() + ", " + first.kind() + ": " + first.message()
                    + "); rerun to retry them");
        }
        int c = probes.numClasses();
        if (r.outputs().classes() != c) {
            throw new AuditException(
                    "model " + name + " returned " + r.outputs().classes() + " values per row, expected " + c
                            + ": its label set differs from the teacher's " + probes.classNames());
        }
        float[][] out = new float[probes.size()][c];
        float[] row = new float[c];
        for (int i = 0; i < probes.size(); i++) {
            r.outputs().copyRows(new int[] {i}, row);
            out[i] = Divergences.logSoftmax(row);
        }
        queries += r.usage().itemsCollected();
        return out;
    }

    /** Returns the rows actually sent (items answered from a journal are not counted). */
    @Override
    public long queries() {
        return queries;
    }

    @Override
    public void close() {}
}
