package org.distill4j.teacher.http;

import java.util.List;
import java.util.Objects;
import org.distill4j.teacher.TeacherIdentity;
import org.distill4j.teacher.TeacherOutputs;

/**
 * What a collection produced for one data set: the teacher's outputs for the rows that succeeded
 * and the rows that failed. Train on {@link #succeededRows()} only.
 *
 * @param teacher the HTTP teacher's identity ({@link TeacherIdentity#cacheKey()} keys caches)
 * @param valueKind what {@link #outputs()} holds: log-probabilities (OpenAI, v2 probabilities;
 *     softmax recovers the distribution, so they are used like logits) or logits (v2 logits)
 * @param succeededRows the data set's rows that have outputs, ascending
 * @param outputs outputs for {@code succeededRows}, in that order ({@code outputs.rows() ==
 *     succeededRows.length}). Its data hash is the data set's content hash when every row
 *     succeeded, else the content hash of {@code ExampleSets.subset(data, succeededRows, ...)}
 * @param items the completed item behind each succeeded row, in the same order (completion text,
 *     outside mass, who answered); rows that share a payload share an item
 * @param failedRows the rows that have no outputs, ascending, with why
 * @param usage what this run cost
 */
public record CollectionResult(
        TeacherIdentity teacher,
        ValueKind valueKind,
        int[] succeededRows,
        TeacherOutputs outputs,
        List<CollectedItem> items,
        List<FailedRow> failedRows,
        UsageReport usage) {

    /** Checks that the parts agree. */
    public CollectionResult {
        Objects.requireNonNull(teacher, "teacher");
        Objects.requireNonNull(outputs, "outputs");
        items = List.copyOf(items);
        failedRows = List.copyOf(failedRows);
        if (outputs.rows() != succeededRows.length || items.size() != succeededRows.length) {
            throw new IllegalArgumentException("outputs hold " + outputs.rows() + " rows and items " + items.size()
                    + ", expected succeededRows.length = " + succeededRows.length);
        }
    }

    /** Returns true if every row succeeded. */
    public boolean complete() {
        return failedRows.isEmpty();
    }

    /**
     * A row without outputs.
     *
     * @param row the row index in the data set
     * @param key its item key
     * @param kind the {@link ErrorKind#wireName()} of the last failure
     * @param message what went wrong (never holds the key)
     * @param attempts requests made for its item in this run
     */
    public record FailedRow(int row, String key, String kind, String message, int attempts) {}
}
